"""Bounds on evaluating a template from the network: time, arithmetic, loops and sizes.

A retained discovery config is evaluated by every process that starts, so a template like
`{{ 9**(9**9) }}`, nested `range` loops or `{{ 'x'*600000000 }}` must fail fast instead of
freezing the assistant or taking all its memory. Python cannot interrupt one long operation
(a huge power is a single C call), so each expensive operation is checked *before* it runs:

- `**` and `*` refuse results beyond `MAX_INT_BITS` bits or `MAX_SIZE` characters or items;
- every loop iteration, call and filter is a step: at most `MAX_STEPS`, within `TIMEOUT_SECONDS`;
- `range` holds at most `MAX_RANGE` numbers, `~` joins and filter results at most `MAX_SIZE`;
- only filters that cannot blow up are offered; string methods that grow are checked first.

The rendered output itself is limited by the caller while it streams.
"""

from __future__ import annotations

import contextvars
import functools
import math
import operator
import re
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from jinja2 import nodes
from jinja2.filters import FILTERS
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import Namespace

TIMEOUT_SECONDS = 0.25
MAX_STEPS = 100_000
MAX_RANGE = 10_000
MAX_SIZE = 262_144
"""Characters or items in any one value: above `mqtt.max_payload_bytes`' default."""
MAX_INT_BITS = 4_096

# Filters that take time and memory in proportion to their input (which is itself bounded).
_SAFE_FILTERS = (
    "abs", "attr", "batch", "capitalize", "count", "d", "default", "dictsort", "first", "float",
    "format", "groupby", "int", "items", "join", "last", "length", "list", "lower", "map", "max",
    "min", "reject", "rejectattr", "replace", "reverse", "round", "select", "selectattr",
    "slice", "sort", "string", "sum", "title", "trim", "truncate", "unique", "upper",
)  # fmt: skip
_PADDING_METHODS = {"ljust", "rjust", "center", "zfill"}
_WIDTH = re.compile(r"%[#0\- +]*(\*|\d{5,})")
_BRACE_WIDTH = re.compile(r"\{[^}]*:[^}]*(\d{5,}|\{)")


class BoundExceeded(Exception):
    """A template went past one of the bounds; the entity that carries it is disabled."""


class Budget:
    def __init__(self) -> None:
        self.deadline = time.monotonic() + TIMEOUT_SECONDS
        self.steps = 0

    def step(self) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise BoundExceeded(f"more than {MAX_STEPS} loop steps and calls")
        if self.steps % 64 == 0:
            self.check_time()

    def check_time(self) -> None:
        if time.monotonic() > self.deadline:
            raise BoundExceeded(f"took longer than {TIMEOUT_SECONDS} s")


CURRENT: contextvars.ContextVar[Budget] = contextvars.ContextVar("template_budget")


def _step() -> None:
    budget = CURRENT.get(None)
    if budget is not None:
        budget.step()


def _sized(value: Any, what: str = "a value") -> Any:
    if isinstance(value, str | bytes | list | tuple | dict | set) and len(value) > MAX_SIZE:
        raise BoundExceeded(f"{what} of more than {MAX_SIZE} characters or items")
    return value


def _check_power(base: Any, exponent: Any) -> None:
    if (
        isinstance(base, int)
        and isinstance(exponent, int)
        and exponent > 0
        and abs(base) > 1
        and exponent * math.log2(abs(base)) > MAX_INT_BITS
    ):
        raise BoundExceeded(f"a power larger than {MAX_INT_BITS} bits")


def _check_product(left: Any, right: Any) -> None:
    for sequence, times in ((left, right), (right, left)):
        repeated = isinstance(sequence, str | bytes | list | tuple) and isinstance(times, int)
        if repeated and len(sequence) * times > MAX_SIZE:
            raise BoundExceeded(f"a repetition of more than {MAX_SIZE} characters or items")
    integers = isinstance(left, int) and isinstance(right, int)
    if integers and left.bit_length() + right.bit_length() > MAX_INT_BITS:
        raise BoundExceeded(f"a product larger than {MAX_INT_BITS} bits")


def _check_replace(text: Any, old: Any, new: Any, count: Any = None) -> None:
    if isinstance(text, str) and isinstance(old, str) and isinstance(new, str):
        occurrences = text.count(old) if old else len(text) + 1
        if isinstance(count, int) and count >= 0:
            occurrences = min(occurrences, count)
        if len(text) + occurrences * (len(new) - len(old)) > MAX_SIZE:
            raise BoundExceeded(f"a replacement longer than {MAX_SIZE} characters")


def _check_format(text: Any) -> None:
    if isinstance(text, str) and _WIDTH.search(text):
        raise BoundExceeded("a format width of 10000 or more (or '*')")


def _check_method(text: str, name: str, args: tuple[Any, ...]) -> None:
    """String methods that grow their string, checked before they run."""
    first = args[0] if args else None
    if name in _PADDING_METHODS and isinstance(first, int) and first > MAX_SIZE:
        raise BoundExceeded(f"{name}() wider than {MAX_SIZE} characters")
    if name == "expandtabs" and isinstance(first, int) and first * len(text) > MAX_SIZE:
        raise BoundExceeded(f"expandtabs() longer than {MAX_SIZE} characters")
    if name == "replace":
        _check_replace(text, *args[:3])


def _bounded_range(*args: int) -> range:
    numbers = range(*args)
    if len(numbers) > MAX_RANGE:
        raise BoundExceeded(f"a range of more than {MAX_RANGE} numbers")
    return numbers


def _steps(iterable: Iterable[Any]) -> Iterator[Any]:
    """Wraps every `for` loop's iterable: each iteration is a step."""
    for item in iterable:
        _step()
        yield item


def _guard_filter(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)  # keeps Jinja's pass_context / pass_environment marker
    def guarded(*args: Any, **kwargs: Any) -> Any:
        _step()
        value_at = 1 if getattr(function, "jinja_pass_arg", None) else 0
        if name == "replace":
            _check_replace(*args[value_at : value_at + 4])
        elif name == "format":
            _check_format(args[value_at] if len(args) > value_at else None)
        elif name == "join" and len(args) > value_at + 1:
            items = args[value_at]
            separator = args[value_at + 1]
            sized = isinstance(separator, str) and hasattr(items, "__len__")
            if sized and len(separator) * len(items) > MAX_SIZE:
                raise BoundExceeded(f"a join longer than {MAX_SIZE} characters")
        return _sized(function(*args, **kwargs), f"the result of |{name}")

    return guarded


class BoundedEnvironment(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox, with every expensive operation checked before it runs."""

    intercepted_binops = frozenset({"**", "*", "%"})

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.filters = {name: _guard_filter(name, FILTERS[name]) for name in _SAFE_FILTERS}
        self.filters |= {"_steps": _steps, "_sized": _sized}
        self.globals = {"range": _bounded_range, "dict": dict, "namespace": Namespace}

    def call_binop(self, context: Any, operator_name: str, left: Any, right: Any) -> Any:
        _step()
        if operator_name == "**":
            _check_power(left, right)
            return _sized(operator.pow(left, right))
        if operator_name == "*":
            _check_product(left, right)
            return operator.mul(left, right)
        if isinstance(left, str):
            _check_format(left)
        return _sized(operator.mod(left, right))

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        """`'{:>999999999}'.format(1)`: the format string is checked when it is looked up."""
        wrapped = super().wrap_str_format(value)
        if wrapped is not None and _BRACE_WIDTH.search(value.__self__):
            raise BoundExceeded("a format width of 10000 or more (or a nested one)")
        return wrapped

    def call(self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        _step()
        name = getattr(__obj, "__name__", "")
        text = getattr(__obj, "__self__", None)
        if isinstance(text, str):
            _check_method(text, name, args)
        for argument in (*args, *kwargs.values()):
            _sized(argument, "an argument")
        return _sized(super().call(__context, __obj, *args, **kwargs), "a call's result")

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        """Count each loop iteration and bound each `~` join, before the optimizer runs."""
        tree = super()._parse(source, name, filename)
        for parent in list(tree.find_all(nodes.Node)):  # a list: the tree changes below
            for field in parent.fields:
                child = getattr(parent, field, None)
                if isinstance(child, nodes.Concat):
                    setattr(parent, field, _sized_node(child))
                elif isinstance(child, list):
                    child[:] = [_sized_node(c) if isinstance(c, nodes.Concat) else c for c in child]
        for loop in list(tree.find_all(nodes.For)):
            loop.iter = nodes.Filter(loop.iter, "_steps", [], [], None, None, lineno=loop.lineno)
        return tree


def _sized_node(concat: nodes.Concat) -> nodes.Filter:
    return nodes.Filter(concat, "_sized", [], [], None, None, lineno=concat.lineno)
