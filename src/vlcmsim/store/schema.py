"""The tables. One metadata object; `Store.open` creates what is missing."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    false,
    true,
)

metadata = MetaData()

SCHEMA_VERSION = 8  # 7: hosts' hardware, the image repository; 8: agents' hosts their version
# 2: the simulation knobs left `hosts` for `sim_hosts`; 3: standalone hosts own an image;
# 4: several processes (workers, task locks, host agents and their work); 5: vim25's side (hosts'
# boot time, virtual machines, events)

meta = Table(
    "vlcmsim_meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", String(256), nullable=False),
)

counters = Table(
    "counters",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

sessions = Table(
    "sessions",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("user", String(256), nullable=False),
    Column("created_time", DateTime(timezone=True), nullable=False),
    Column("last_accessed_time", DateTime(timezone=True), nullable=False),
)

datacenters = Table(
    "datacenters",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(256), nullable=False, unique=True),
)

clusters = Table(
    "clusters",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(256), nullable=False),
    Column("datacenter", String(64), ForeignKey("datacenters.id"), nullable=False),
    Column("image_managed", Boolean, nullable=False),
    Column("ha_enabled", Boolean, nullable=False),
    Column("drs_enabled", Boolean, nullable=False),
)

hosts = Table(
    "hosts",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(256), nullable=False, unique=True),
    Column("cluster", String(64), ForeignKey("clusters.id"), nullable=True),
    Column("datacenter", String(64), ForeignKey("datacenters.id"), nullable=False),
    Column("connection_state", String(32), nullable=False),
    Column("power_state", String(32), nullable=False),
    Column("in_maintenance_mode", Boolean, nullable=False, default=False),
    # a standalone host managed with an image of its own (a cluster member follows its cluster's)
    Column("image_managed", Boolean, nullable=False, server_default=false()),
    Column("boot_time", DateTime(timezone=True), nullable=True),  # when it last came up (vim25's runtime.bootTime)
    Column("vendor", String(128), nullable=False, server_default="Dell Inc."),  # its hardware (schema 7)
    Column("model", String(128), nullable=False, server_default="PowerEdge R760"),
    Column("uuid", String(36), nullable=True),  # its hardware UUID when known (an estate's); else derived
)

# The virtual machines each host runs (vim25's VirtualMachine): maintenance mode moves them to the
# other hosts of a cluster, or the apply policy powers them off or suspends them.
vms = Table(
    "vms",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(256), nullable=False),
    Column("host", String(64), nullable=False, index=True),
    Column("power_state", String(16), nullable=False),  # poweredOn, poweredOff, suspended
    Column("uuid", String(64), nullable=False),
    Column("solution", String(128), nullable=True),  # a system VM of this vLCM solution ("cluster/solution")
)

# vLCM's system VM solutions of a cluster: the desired spec and each deployment unit's state
vm_solutions = Table(
    "vm_solutions",
    metadata,
    Column("cluster", String(64), primary_key=True),
    Column("solution", String(128), primary_key=True),
    Column("spec", JSON, nullable=False),  # the SolutionSpec, as given
    Column("revision", Integer, nullable=False),  # moved on by every set
    Column("deployments", JSON, nullable=False),  # unit -> its VM, revision applied, status, hook
)

# What vCenter's event manager records (vim25 events): logins, maintenance mode, reboots,
# connection changes, tasks and remediations. `kind` is the event's vim25 type name.
events = Table(
    "events",
    metadata,
    Column("key", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(128), nullable=False),
    Column("created_time", DateTime(timezone=True), nullable=False, index=True),
    Column("user", String(256), nullable=False),
    Column("message", String(2048), nullable=False),
    Column("datacenter", String(64), nullable=True),
    Column("cluster", String(64), nullable=True),
    Column("host", String(64), nullable=True),
    Column("vm", String(64), nullable=True),
    Column("details", JSON, nullable=True),  # fields of the event's own type
)

# The simulation's knobs per host (vlcmsim.sim.knobs), apart from what vSphere reports.
sim_hosts = Table(
    "sim_hosts",
    metadata,
    Column("host", String(64), primary_key=True),
    Column("bandwidth_bytes_per_s", BigInteger, nullable=False),
    Column("staging_capacity_bytes", BigInteger, nullable=False),
    Column("corrupt_downloads", BigInteger, nullable=False),
    Column("vm_count", BigInteger, nullable=False, server_default="4"),
    Column("fail_maintenance_mode", BigInteger, nullable=False, server_default="0"),
    Column("fail_installs", BigInteger, nullable=False, server_default="0"),
    Column("hang_on_reboot", BigInteger, nullable=False, server_default="0"),
    Column("rebooting", BigInteger, nullable=False, server_default="0"),
)

# The depot sync schedule (one row): clean JSON of sync_schedule.Spec.
sync_schedule = Table(
    "sync_schedule",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("spec", JSON, nullable=False),
)

# The simulation's faults per online depot (vlcmsim.sim.knobs.DepotKnobs).
sim_depots = Table(
    "sim_depots",
    metadata,
    Column("depot", String(64), primary_key=True),
    Column("unreachable", Boolean, nullable=False),
    Column("bandwidth_bytes_per_s", BigInteger, nullable=False),
    Column("corrupt_metadata", Boolean, nullable=False),
    Column("corrupt_payloads", Boolean, nullable=False),
)

tasks = Table(
    "tasks",
    metadata,
    Column("id", String(128), primary_key=True),
    Column("service", String(256), nullable=False),
    Column("operation", String(128), nullable=False),
    Column("description", JSON, nullable=False),
    Column("target", JSON, nullable=True),
    Column("user", String(256), nullable=True),
    Column("cancelable", Boolean, nullable=False),
    Column("status", String(16), nullable=False),
    Column("progress", JSON, nullable=True),
    Column("result_type", JSON, nullable=True),  # type descriptor of the result
    Column("result", JSON, nullable=True),  # clean JSON of the result type
    Column("error", JSON, nullable=True),  # {"id": std error id, "value": clean JSON}
    Column("start_time", DateTime(timezone=True), nullable=True),
    Column("end_time", DateTime(timezone=True), nullable=True),
    Column("created_time", DateTime(timezone=True), nullable=False),
    Column("worker", String(32), nullable=True),  # the API worker that runs it
    Column("cancel_requested", Boolean, nullable=False, server_default=false()),
)

# one row per cluster or host a lifecycle task holds: the primary key lets one task in
task_locks = Table(
    "task_locks",
    metadata,
    Column("target_type", String(64), primary_key=True),
    Column("target_id", String(64), primary_key=True),
    Column("task", String(128), nullable=False),
)

# the API workers sharing the store, each alive while its heartbeat is recent
workers = Table(
    "workers",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("started", DateTime(timezone=True), nullable=False),
    Column("heartbeat", DateTime(timezone=True), nullable=False),
)

# host agents (`vlcmsim hosts run`): alive while their heartbeat (their polls) is recent
host_agents = Table(
    "host_agents",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("heartbeat", DateTime(timezone=True), nullable=False),
)

# which agent runs each host, and what the host last said it holds
agent_hosts = Table(
    "agent_hosts",
    metadata,
    Column("host", String(64), primary_key=True),
    Column("agent", String(64), nullable=False, index=True),
    Column("staged", JSON, nullable=False),  # {"payloads": [sha-256 of sound staged payloads], "used_bytes"}
    Column("marked_down", Boolean, nullable=False, server_default=false()),  # NOT_RESPONDING for its agent's silence
    # the agent_hosts_version counter when `staged` was written: readers read again only what moved
    Column("version", BigInteger, nullable=False, server_default="0", index=True),
)

# work for a host agent (stage, install), queued by the worker running the task
host_work = Table(
    "host_work",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("host", String(64), nullable=False, index=True),
    Column("kind", String(16), nullable=False),  # stage | install
    Column("plan", JSON, nullable=False),
    Column("status", String(16), nullable=False, index=True),  # QUEUED CLAIMED DONE FAILED CANCELED
    Column("agent", String(64), nullable=True),
    Column("completed", BigInteger, nullable=False, server_default="0"),
    Column("retrying", Boolean, nullable=False, server_default=false()),
    Column("started", Boolean, nullable=False, server_default=false()),  # the host's turn to download came
    Column("worker", String(32), nullable=False),  # the API worker waiting for it
    Column("error", JSON, nullable=True),  # {"msg_id", "message", "resolution", "retriable"}
    Column("created", DateTime(timezone=True), nullable=False),
    Column("updated", DateTime(timezone=True), nullable=True),  # by the agent's last word: the worker reads what moved
    Index("host_work_by_worker", "worker", "updated"),
)

depots = Table(
    "depots",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("description", String(1024), nullable=False),
    Column("source_type", String(16), nullable=False),
    Column("location", String(2048), nullable=True),
    Column("file_name", String(512), nullable=False),
    Column("owner", String(256), nullable=True),
    Column("create_time", DateTime(timezone=True), nullable=False),
    Column("content", JSON, nullable=False),  # vlcmsim.depot.storage form of DepotContent
    Column("bundle_sha256", String(64), nullable=True),  # of the offline bundle it was imported from
    # online depots (source_type ONLINE, or UMDS: at most one) are synced when enabled
    Column("enabled", Boolean, nullable=False, server_default=true()),
    Column("ownerdata", String(1024), nullable=True),
)

# Commits, drafts, reports and policies belong to an image owner: a cluster
# (domain-c…) or a standalone host (host-…); the column keeps its first name.
commits = Table(
    "commits",
    metadata,
    Column("cluster", String(64), primary_key=True),
    Column("id", Integer, primary_key=True),
    Column("author", String(256), nullable=False),
    Column("commit_time", DateTime(timezone=True), nullable=False),
    Column("description", String(4096), nullable=False),
    Column("apply_status", String(16), nullable=False),
    Column("spec", JSON, nullable=False),  # {"base_image", "add_on", "components", "removed_components"}
)

drafts = Table(
    "drafts",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("cluster", String(64), nullable=False),
    Column("owner", String(256), nullable=False),
    Column("creation_time", DateTime(timezone=True), nullable=False),
    Column("spec", JSON, nullable=False),
    Column("status", String(16), nullable=False, server_default="VALID"),  # as its last validation found it
)

# vSphere 9's image repository: software specs kept centrally, their drafts, and whom they are assigned to
repository_specs = Table(
    "repository_specs",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("display_name", String(256), nullable=False, unique=True),
    Column("spec", JSON, nullable=False),
    Column("author", String(256), nullable=False),
    Column("creation_time", DateTime(timezone=True), nullable=False),
    Column("modified_time", DateTime(timezone=True), nullable=False),
    Column("revision", Integer, nullable=False),  # moved on by every commit of an edit
    Column("orchestrator", JSON, nullable=True),  # OrchestratorInfo: who manages it, when not vLCM's users
)

repository_drafts = Table(
    "repository_drafts",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("software_spec", String(64), nullable=False),  # the spec it edits, or the id its commit creates
    Column("edits", Boolean, nullable=False),  # edits an existing spec (else creates one: new, copy, import)
    Column("copied_from", String(64), nullable=True),  # a copy's original (a copy must differ from it)
    Column("owner", String(256), nullable=False, unique=True),  # one draft per user
    Column("display_name", String(256), nullable=False),
    Column("spec", JSON, nullable=False),
    Column("status", String(16), nullable=False),
    Column("creation_time", DateTime(timezone=True), nullable=False),
)

repository_assignments = Table(
    "repository_assignments",
    metadata,
    Column("entity", String(64), primary_key=True),  # a cluster or a standalone host
    Column("software_spec", String(64), ForeignKey("repository_specs.id"), nullable=False),
    Column("revision", Integer, nullable=False),  # the spec's revision its latest commit took
)

# the depots a cluster's (or standalone host's) hosts take their payloads from instead of vCenter's
depot_overrides = Table(
    "depot_overrides",
    metadata,
    Column("owner", String(64), primary_key=True),
    Column("location", String(2048), primary_key=True),
    Column("position", Integer, nullable=False),  # the order they were added in
)

host_images = Table(
    "host_images",
    metadata,
    Column("host", String(64), primary_key=True),
    Column("spec", JSON, nullable=False),  # the installed image, same form as a commit's spec
)

# The last scan (compliance), check and apply of each cluster: clean JSON of the report's type.
cluster_reports = Table(
    "cluster_reports",
    metadata,
    Column("cluster", String(64), primary_key=True),
    Column("kind", String(32), primary_key=True),
    Column("value", JSON, nullable=False),
    Column("time", DateTime(timezone=True), nullable=False),
)

# The apply policy configured for a cluster (policies.apply): clean JSON of ConfiguredPolicySpec.
cluster_policies = Table(
    "cluster_policies",
    metadata,
    Column("cluster", String(64), primary_key=True),
    Column("spec", JSON, nullable=False),
)

# -- Configuration Profiles (schema 6): each host's actual configuration, and each cluster's
# desired one (its commits, drafts, enablement transition, reports and audit trail).
host_configs = Table(
    "host_configs",
    metadata,
    Column("host", String(64), primary_key=True),
    Column("config", JSON, nullable=False),  # the host's actual configuration document section
)

config_commits = Table(
    "config_commits",
    metadata,
    Column("cluster", String(64), primary_key=True),
    Column("id", Integer, primary_key=True),
    Column("author", String(256), nullable=False),
    Column("commit_time", DateTime(timezone=True), nullable=False),
    Column("description", String(4096), nullable=False),
    Column("document", JSON, nullable=False),
)

config_drafts = Table(
    "config_drafts",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("cluster", String(64), nullable=False),
    Column("owner", String(256), nullable=False),
    Column("base_commit", Integer, nullable=True),
    Column("creation_time", DateTime(timezone=True), nullable=False),
    Column("modified_time", DateTime(timezone=True), nullable=False),
    Column("document", JSON, nullable=False),
)

# a cluster on its way to being managed by a configuration profile: its candidate document
config_transitions = Table(
    "config_transitions",
    metadata,
    Column("cluster", String(64), primary_key=True),
    Column("status", String(32), nullable=False),  # STARTED | ENABLE_IN_PROGRESS | ENABLED
    Column("source", String(8), nullable=True),  # HOST | FILE
    Column("source_host", String(64), nullable=True),
    Column("author", String(256), nullable=False),
    Column("start_time", DateTime(timezone=True), nullable=False),
    Column("document", JSON, nullable=True),
    Column("validated", Boolean, nullable=False, server_default=false()),
    Column("prechecked", Boolean, nullable=False, server_default=false()),
)

config_audit = Table(
    "config_audit",
    metadata,
    Column("key", Integer, primary_key=True, autoincrement=True),
    Column("cluster", String(64), nullable=False, index=True),
    Column("time", DateTime(timezone=True), nullable=False),
    Column("user", String(256), nullable=False),
    Column("operation", String(64), nullable=False),
    Column("details", JSON, nullable=False),  # the changes: [{"path", "old", "new", "section"}]
)
