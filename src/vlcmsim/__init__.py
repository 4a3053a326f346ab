"""vlcmsim: a vSphere Lifecycle Manager endpoint outside a vCenter."""

__version__ = "0.1.0"
