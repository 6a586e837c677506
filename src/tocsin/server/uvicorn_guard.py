"""The one door to uvicorn's private modules, and whether this uvicorn may be used.

`server.protocol` and `server.fast_pings` subclass uvicorn's httptools protocol, call and
copy its methods and read the attributes its `__init__` sets: none of that is uvicorn's
public API, and any release may change it. Every private name they use is imported
here and nowhere else, and `fallback_reason` says whether this uvicorn is the one they
were written and tested against: a version in `TESTED_RANGE` whose protocol has the
methods, parameters and attributes they rely on. When it is not, `tocsin serve` runs
uvicorn's own protocol: pings go through the ASGI endpoint, without Tocsin's
read-ahead, size and connection limits. The protocol modules are imported only once
this guard has passed, so an uvicorn without these names is never an ImportError.
"""

import inspect
import os
import re
from collections.abc import Mapping

import uvicorn

try:
    from uvicorn.protocols.http.flow_control import FlowControl
    from uvicorn.protocols.http.httptools_impl import (
        STATUS_LINE,
        HttpToolsProtocol,
        RequestResponseCycle,
    )
except ImportError as error:  # a release that moved them: the guard says so
    MISSING: str | None = f"uvicorn {uvicorn.__version__} lacks what Tocsin imports ({error})"
else:
    MISSING = None

__all__ = ["STATUS_LINE", "FlowControl", "HttpToolsProtocol", "RequestResponseCycle"]

# The uvicorn minor series the protocols were written and tested against, from the
# first version up to (not including) the second; pyproject.toml pins the same range.
TESTED_RANGE = ((0, 55), (0, 56))
TESTED = ">=0.55,<0.56"

# For the tests that run the ping suite through the fallback with the uvicorn
# installed; read by nothing else.
FORCE_FALLBACK = "TOCSIN_FORCE_UVICORN_FALLBACK"

# The methods of uvicorn's protocol that GuardedProtocol and FastPingProtocol override
# or call, with their parameters.
PROTOCOL_METHODS: dict[str, tuple[str, ...]] = {
    "__init__": ("self", "config", "server_state", "app_state", "_loop"),
    "connection_made": ("self", "transport"),
    "connection_lost": ("self", "exc"),
    "on_message_begin": ("self",),
    "on_url": ("self", "url"),
    "on_header": ("self", "name", "value"),
    "on_headers_complete": ("self",),
    "on_body": ("self", "body"),
    "on_message_complete": ("self",),
    "on_response_complete": ("self",),
    "_start_asgi_task": ("self", "cycle", "app"),
    "_unset_keepalive_if_required": ("self",),
    "_unsupported_upgrade_warning": ("self",),
    "resume_writing": ("self",),
}
FLOW_METHODS: dict[str, tuple[str, ...]] = {
    "__init__": ("self", "transport"),
    "pause_reading": ("self",),
    "resume_reading": ("self",),
    "resume_writing": ("self",),
}
# The attributes of uvicorn's protocol they read or set, all set by its `__init__`.
PROTOCOL_ATTRIBUTES = (
    "access_log",
    "access_logger",
    "app",
    "client",
    "cycle",
    "expect_100_continue",
    "flow",
    "headers",
    "loop",
    "parser",
    "pipeline",
    "scheme",
    "scope",
    "server_state",
    "transport",
)


def fallback_reason(environ: Mapping[str, str] = os.environ) -> str | None:
    """Why Tocsin's protocols cannot run on this uvicorn, or None when they can."""
    if environ.get(FORCE_FALLBACK, "").lower() in ("1", "true", "yes", "on"):
        return f"{FORCE_FALLBACK} is set"
    if MISSING:
        return MISSING
    return problem_with(uvicorn.__version__, HttpToolsProtocol, FlowControl, STATUS_LINE)


def problem_with(
    version: str, protocol: type, flow: type, status_line: Mapping[int, bytes]
) -> str | None:
    """What of uvicorn `version`'s protocol differs from what Tocsin relies on."""
    if not in_tested_range(version):
        return f"uvicorn {version} is outside the tested range ({TESTED})"
    for owner, methods in ((protocol, PROTOCOL_METHODS), (flow, FLOW_METHODS)):
        for name, parameters in methods.items():
            if parameters_of(owner, name) != parameters:
                return f"uvicorn {version}'s {owner.__name__}.{name} is not the one Tocsin knows"
    set_in_init = protocol.__dict__["__init__"].__code__.co_names
    unset = [name for name in PROTOCOL_ATTRIBUTES if name not in set_in_init]
    if unset:
        return f"uvicorn {version}'s {protocol.__name__} no longer sets {', '.join(unset)}"
    if any(code not in status_line for code in range(100, 600)):
        return f"uvicorn {version}'s STATUS_LINE lacks status codes"
    return None


def in_tested_range(version: str) -> bool:
    match = re.match(r"(\d+)\.(\d+)", version)
    if match is None:
        return False
    low, high = TESTED_RANGE
    return low <= (int(match[1]), int(match[2])) < high


def parameters_of(owner: type, name: str) -> tuple[str, ...] | None:
    """The parameter names of `owner`'s own method `name`, None if it defines none."""
    method = owner.__dict__.get(name)
    if not callable(method):
        return None
    return tuple(inspect.signature(method).parameters)
