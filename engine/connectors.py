"""Service-task connectors: named Python callables an operator registers, called from BPMN service tasks.

A service task names its connector in ``<spiffworkflow:serviceTaskOperator id="NAME">`` and passes
``<spiffworkflow:parameter id="..." value="EXPRESSION"/>`` values, evaluated in the sandbox. A connector
is trusted operator code: a callable taking the parameters as keyword arguments and returning JSON data
(dict, list, str, number, bool or None), which lands in task data under the operator's
``resultVariable``.

Registering. In code, :func:`register_connector` (``register_connector("uscc_lookup", lookup)``); in
configuration, ``SHEQUFLOW_CONNECTORS="uscc_lookup=mypkg.registry:lookup,notify=mypkg.sms:send"`` — each
entry ``name=module:function``, imported on first use (and again when the variable changes). A name
registered in code wins over the same name in the variable.

Deploy and ``shequflow lint`` refuse a service task whose connector is not registered
(:func:`connector_names`), so a bundle never deploys a task that can only fail at run time; at run time
the sandbox's script engine calls :func:`call_connector_json`.
"""

from __future__ import annotations

import importlib
import json
import os
import threading
from collections.abc import Callable, Mapping
from typing import Any

from engine.errors import EngineError

ENV_VAR = "SHEQUFLOW_CONNECTORS"

Connector = Callable[..., Any]

_registered: dict[str, Connector] = {}
_from_env: dict[str, Connector] = {}
_env_value: str | None = None
_lock = threading.RLock()  # a configured module may register more connectors while it is imported


class ConnectorError(EngineError):
    """A connector is unknown, misconfigured, failed, or returned data that is not JSON."""

    code = "connector"


def register_connector(name: str, fn: Connector) -> None:
    """Register ``fn`` as the connector service tasks call by ``name``."""
    if not isinstance(name, str) or not name.strip() or name != name.strip():
        raise ValueError(f"connector name must be a non-empty string without surrounding spaces: {name!r}")
    if not callable(fn):
        raise TypeError(f"connector {name!r} is not callable: {fn!r}")
    with _lock:
        _registered[name] = fn


def unregister_connector(name: str) -> None:
    """Forget a connector registered in code (configured ones stay while the variable names them)."""
    with _lock:
        _registered.pop(name, None)


def connector_names() -> frozenset[str]:
    """Return the names of every registered connector (code and configuration)."""
    with _lock:
        _load_env()
        return frozenset(_from_env) | frozenset(_registered)


def get_connector(name: str) -> Connector | None:
    """Return the connector registered under ``name``, or None."""
    with _lock:
        _load_env()
        return _registered[name] if name in _registered else _from_env.get(name)


def call_connector_json(name: str, operation_params: Mapping[str, Any]) -> str:
    """Call a connector with a service task's evaluated parameters; return its result as JSON text.

    ``operation_params`` is what SpiffWorkflow passes: ``{param: {"value": v, "type": t}}`` (plain values
    are accepted too). Every failure is a :class:`ConnectorError` naming the connector.
    """
    fn = get_connector(name)
    if fn is None:
        names = sorted(connector_names())
        raise ConnectorError(
            f"服务任务调用的连接器“{name}”未注册（已注册：{'、'.join(names) or '无'}）",
            f"service task connector {name!r} is not registered (registered: {', '.join(names) or 'none'})",
            connector=name,
        )
    kwargs = {key: p["value"] if isinstance(p, Mapping) and "value" in p else p for key, p in operation_params.items()}
    try:
        result = fn(**kwargs)
    except Exception as err:
        raise ConnectorError(
            f"连接器“{name}”调用失败：{type(err).__name__}: {err}",
            f"connector {name!r} failed: {type(err).__name__}: {err}",
            connector=name,
        ) from err
    try:
        return json.dumps(result, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as err:
        raise ConnectorError(
            f"连接器“{name}”返回的不是 JSON 数据：{err}",
            f"connector {name!r} returned data that is not JSON: {err}",
            connector=name,
        ) from err


def parse_spec(value: str) -> dict[str, str]:
    """Parse ``name=module:function,...`` into name → ``module:function``; raise ConnectorError if malformed."""
    entries: dict[str, str] = {}
    for raw in value.split(","):
        entry = raw.strip()
        if not entry:
            continue
        name, sep, target = (part.strip() for part in entry.partition("="))
        module, colon, attr = target.partition(":")
        if not sep or not name or not colon or not module or not attr:
            raise ConnectorError(
                f"{ENV_VAR} 的条目“{entry}”格式不对，应为 名称=模块:函数",
                f"{ENV_VAR} entry {entry!r} is not name=module:function",
            )
        entries[name] = target
    return entries


def _load_env() -> None:
    """(Re)import the connectors the environment variable names when it changed; caller holds the lock."""
    global _env_value
    value = os.environ.get(ENV_VAR, "")
    if value == _env_value:
        return
    loaded: dict[str, Connector] = {}
    for name, target in parse_spec(value).items():
        module_name, _, attr = target.partition(":")
        try:
            fn = getattr(importlib.import_module(module_name), attr)
        except (ImportError, AttributeError) as err:
            raise ConnectorError(
                f"{ENV_VAR} 中的连接器“{name}”无法加载：{target}（{err}）",
                f"connector {name!r} in {ENV_VAR} cannot be loaded: {target} ({err})",
            ) from err
        if not callable(fn):
            raise ConnectorError(f"连接器“{name}”不可调用：{target}", f"connector {name!r} is not callable: {target}")
        loaded[name] = fn
    _from_env.clear()
    _from_env.update(loaded)
    _env_value = value
