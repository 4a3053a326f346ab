"""Message-id prefixes, defined once: vLCM's own (what vCenter's lifecycle
manager uses) and vlcmsim's (for what only the simulation says)."""

LIFECYCLE = "com.vmware.vcIntegrity.lifecycle"
PROGRESS_ID = f"{LIFECYCLE}.Progress"
VLCMSIM = "com.vmware.vlcmsim"
