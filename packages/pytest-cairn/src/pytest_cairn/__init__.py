"""pytest-cairn: run a test suite against Cairn, the DynamoDB-compatible server.

The pytest plugin lives in `pytest_cairn.plugin` (registered through the `pytest11`
entry point); the classes here also work without pytest.
"""

from .server import Admin, Cairn, CairnError, CairnServer, find_binary, free_port

__all__ = ["Admin", "Cairn", "CairnError", "CairnServer", "find_binary", "free_port"]
__version__ = "0.1.0"
