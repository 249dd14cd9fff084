"""The symbolic pickle machine: it runs a pickle's opcodes over symbols, never over objects.

It keeps the unpickler's stack, mark stack and memo, so a name that reaches STACK_GLOBAL from the
memo, from a DUP or from any earlier opcode is resolved exactly as the unpickler would resolve
it. What it cannot resolve from constants (a STACK_GLOBAL operand that is the result of a call,
an EXT code from copyreg's registry, a persistent id outside PyTorch's storage references, a
REDUCE of something that is not a named global) is reported as unresolved: for a security check,
"cannot be known statically" is a verdict, not a pass.

Every import is checked against the allowlist when it happens, whether or not the object is later
called: importing a module runs its top-level code, and a callable can be called by REDUCE,
NEWOBJ, OBJ, INST, BUILD (through `__setstate__`) or by the loading program later.
"""

from __future__ import annotations

import _compat_pickle
import dataclasses
import math
import re
from collections.abc import Callable
from typing import Any

from releasekit.pickles.allowlist import Allowlist
from releasekit.pickles.budget import OPCODE_TICK, Budget
from releasekit.pickles.opcodes import CODE_OPCODES, Blob, Decoder, Op, PickleSyntaxError
from releasekit.pickles.problems import ImportUse, Kind, Problem
from releasekit.pickles.source import ReadError, Source
from releasekit.pickles.textargs import REJECTED

#: Items kept per container; larger containers keep their count only (memory stays bounded).
MAX_ITEMS = 1 << 16
#: Opcodes per pickle before the analysis gives up (a verdict of "not verified", never a pass).
MAX_OPCODES = 50_000_000
#: Pickles inside pickles (`pickle.loads(b"...")`, joblib object arrays) analysed this deep.
MAX_DEPTH = 4

JOBLIB_WRAPPER = "joblib.numpy_pickle.NumpyArrayWrapper"
LOADS_FUNCTIONS = frozenset({
    "pickle.loads", "pickle._loads", "_pickle.loads", "cPickle.loads", "dill.loads", "dill._dill.loads",
    "cloudpickle.loads", "torch.serialization._load", "numpy.loads",
})
_DUNDER = re.compile(r"^__.+__$")


class Sym:
    """A value the machine cannot hold as a plain Python constant."""

    __slots__ = ()

    def describe(self) -> str:
        return "an unknown value"


class Global(Sym):
    __slots__ = ("module", "name", "full", "status")

    def __init__(self, module: str, name: str, status: str | None) -> None:
        self.module, self.name, self.status = module, name, status
        self.full = f"{module}.{name}"

    def describe(self) -> str:
        return self.full


class Obj(Sym):
    """What a call of an allowlisted callable returned: an object of known origin."""

    __slots__ = ("callee", "args", "how", "state", "pos", "value")

    def __init__(self, callee: Global, args: Any, how: str, pos: int, value: Any = None) -> None:
        self.callee, self.args, self.how, self.pos, self.value = callee, args, how, pos, value
        self.state: Any = None

    def describe(self) -> str:
        return f"the result of calling {self.callee.full}"


class Persistent(Sym):
    __slots__ = ("pid",)

    def __init__(self, pid: Any) -> None:
        self.pid = pid

    def describe(self) -> str:
        return "an object from persistent_load"


class Opaque(Sym):
    __slots__ = ("why",)

    def __init__(self, why: str) -> None:
        self.why = why

    def describe(self) -> str:
        return self.why


class Tup(Sym):
    __slots__ = ("items", "total")

    def __init__(self, items: list[Any]) -> None:
        self.total = len(items)
        self.items = items if len(items) <= MAX_ITEMS else items[:MAX_ITEMS]

    def describe(self) -> str:
        return f"a tuple of {self.total}"


class Lst(Sym):
    __slots__ = ("items", "total")

    def __init__(self, items: list[Any] | None = None) -> None:
        self.items: list[Any] = []
        self.total = 0
        if items:
            self.extend(items)

    def extend(self, items: list[Any]) -> None:
        room = MAX_ITEMS - len(self.items)
        if room > 0:
            self.items.extend(items[:room])
        self.total += len(items)

    def describe(self) -> str:
        return "a list"


class Dct(Sym):
    __slots__ = ("items", "total", "dunder")

    def __init__(self) -> None:
        self.items: list[tuple[Any, Any]] = []
        self.total = 0
        self.dunder: str | None = None

    def add(self, key: Any, value: Any) -> None:
        if len(self.items) < MAX_ITEMS:
            self.items.append((key, value))
        self.total += 1
        if self.dunder is None and isinstance(key, str) and _DUNDER.match(key):
            self.dunder = key

    def get(self, key: str) -> Any:
        for k, v in reversed(self.items):
            if k == key:
                return v
        return None

    def describe(self) -> str:
        return "a dict"


class St(Sym):
    __slots__ = ("total",)

    def __init__(self, total: int = 0) -> None:
        self.total = total

    def describe(self) -> str:
        return "a set"


def describe(value: Any) -> str:
    """A short, safe description of a symbolic value for a one-line message."""
    if isinstance(value, Sym):
        return value.describe()
    if isinstance(value, Blob):
        return f"a {value.kind} of {value.size:,} bytes"
    if isinstance(value, str):
        text = value if len(value) <= 40 else value[:39] + "…"
        return f"the string {text!r}"
    if isinstance(value, (bytes, bytearray)):
        return f"{type(value).__name__} of {len(value):,} bytes"
    return f"the {type(value).__name__} {value!r}"[:60]


PersistentHandler = Callable[[Any, int, "Machine"], Any]


@dataclasses.dataclass
class Outcome:
    """The analysis of one pickle."""

    value: Any
    complete: bool  # reached STOP without a malformation
    start: int
    end: int  # position after STOP (or where the analysis stopped)
    opcodes: int
    proto: int
    plausible: bool  # saw an import of identifier-like names (tells a text file from a pickle)


class _Halt(Exception):
    """Stop this pickle: the problem is already recorded."""


class Machine:
    """Analyse one pickle read from `source`, recording imports and problems into shared lists."""

    def __init__(self, source: Source, allowlist: Allowlist, *, label: str = "",
                 persistent: PersistentHandler | None = None, depth: int = 0,
                 imports: dict[str, ImportUse] | None = None, problems: list[Problem] | None = None,
                 keep: int = 1 << 20, max_opcodes: int = MAX_OPCODES, budget: Budget | None = None,
                 planted: Callable[[str], bool] | None = None) -> None:
        self.src = source
        self.allow = allowlist
        self.label = label
        self.persistent = persistent
        self.depth = depth
        self.imports: dict[str, ImportUse] = {} if imports is None else imports
        self.problems: list[Problem] = [] if problems is None else problems
        self.keep = keep
        self.max_opcodes = max_opcodes
        self.budget = budget
        # Which top-level module names the folder around the file provides (None: unknown, so any).
        # An import of anything else, in a stream that then fails, ran no code of the release's.
        self.planted = planted
        self.decoder = Decoder(source, keep=keep)
        self.decoder.on_divergence = self._divergence
        self.stack: list[Any] = []
        self.metastack: list[list[Any]] = []
        self.memo: dict[int, Any] = {}
        self.plausible = False
        self.joblib_arrays = 0

    # -- driver ------------------------------------------------------------------------------
    def run(self) -> Outcome:
        start = self.src.pos
        value: Any = None
        complete = False
        handlers = _HANDLERS
        budget = self.max_opcodes
        tick = OPCODE_TICK
        try:
            for op in self.decoder:
                budget -= 1
                tick -= 1
                if not tick:
                    tick = OPCODE_TICK
                    if self.budget is not None:
                        self.budget.opcodes(OPCODE_TICK)  # raises BudgetExceeded: the file stops here
                if budget < 0:
                    self._fail(Kind.MALFORMED, f"more than {self.max_opcodes:,} opcodes: too large to verify", op.pos)
                result = handlers[op.name](self, op)
                if op.name == "STOP":
                    value, complete = result, True
                    break
        except PickleSyntaxError as exc:
            self.plausible = self.plausible or exc.divergent  # some loader reads on: never dropped
            self._note(Kind.MALFORMED, f"not a valid pickle: {exc.detail}", exc.pos)
        except ReadError as exc:
            self._note(Kind.MALFORMED, str(exc), exc.pos)
        except _Halt:
            pass
        except RecursionError:  # pragma: no cover - the machine does not recurse per opcode
            self._note(Kind.MALFORMED, "nesting too deep to verify", self.src.pos)
        return Outcome(value, complete, start, self.src.pos, self.decoder.count, self.decoder.proto, self.plausible)

    # -- problems ----------------------------------------------------------------------------
    def _divergence(self, pos: int, name: str, line: bytes, c_value: Any, py_value: Any) -> None:
        def reading(value: Any) -> str:
            return "refuses it" if value is REJECTED else f"reads {value!r}"
        self._note(Kind.MALFORMED, f"{name} argument {line[:40]!r}: the C unpickler (pickle.load, torch.load, "
                                   f"numpy.load) {reading(c_value)} but the Python one (joblib.load) "
                                   f"{reading(py_value)}; loaders disagree on this file", pos)

    def _note(self, kind: Kind, message: str, pos: int | None) -> None:
        prefix = f"{self.label}: " if self.label else ""
        self.problems.append(Problem(kind, prefix + message, pos))

    def _fail(self, kind: Kind, message: str, pos: int | None) -> None:
        self._note(kind, message, pos)
        raise _Halt

    # -- stack -------------------------------------------------------------------------------
    def _pop(self, op: Op) -> Any:
        if not self.stack:
            self._fail(Kind.MALFORMED, f"{op.name} pops an empty stack (stack underflow)", op.pos)
        return self.stack.pop()

    def _top(self, op: Op) -> Any:
        if not self.stack:
            self._fail(Kind.MALFORMED, f"{op.name} needs a value on an empty stack (stack underflow)", op.pos)
        return self.stack[-1]

    def _pop_mark(self, op: Op) -> list[Any]:
        if not self.metastack:
            self._fail(Kind.MALFORMED, f"{op.name} needs a MARK that is not there", op.pos)
        items = self.stack
        self.stack = self.metastack.pop()
        return items

    # -- imports and calls -------------------------------------------------------------------
    def _import(self, module: str, name: str, op: Op) -> Global:
        if self.decoder.proto < 3:  # the unpickler's fix_imports for Python 2 names
            if (module, name) in _compat_pickle.NAME_MAPPING:
                module, name = _compat_pickle.NAME_MAPPING[(module, name)]
            elif module in _compat_pickle.IMPORT_MAPPING:
                module = _compat_pickle.IMPORT_MAPPING[module]
        full = f"{module}.{name}"
        if importable(module) and (self.planted is None or self.planted(module.split(".")[0])):
            self.plausible = True  # find_class imports the module whatever the name: its code runs
        use = self.imports.get(full)
        if use is None:
            self.imports[full] = ImportUse(full, self.allow.status(full), op.pos)
        else:
            use.count += 1
        return Global(module, name, self.imports[full].status)

    def _call(self, callee: Any, args: Any, op: Op) -> Any:
        if not isinstance(callee, Global):
            self._note(Kind.UNRESOLVED, f"{op.name} calls {describe(callee)}, not a callable named by a global: "
                                        "what it runs cannot be known statically", op.pos)
            return Opaque("the result of an unverifiable call")
        self.imports[callee.full].called = True
        self.plausible = True  # a call runs code, whatever module it came from
        value = None
        if callee.full == "_codecs.encode" and isinstance(args, Tup) and len(args.items) == 2 \
                and isinstance(args.items[0], str) and args.items[1] in ("latin1", "latin-1"):
            value = args.items[0].encode("latin-1", "replace")
        elif callee.full in LOADS_FUNCTIONS and isinstance(args, Tup) and args.items:
            self._inner_pickle(callee, args.items[0], op)
        return Obj(callee, args, op.name, op.pos, value)

    def _inner_pickle(self, callee: Global, data: Any, op: Op) -> None:
        """`pickle.loads(b"...")` inside a pickle: analyse the inner pickle too, as evidence."""
        if isinstance(data, Obj) and isinstance(data.value, bytes):
            data = data.value
        if not isinstance(data, (bytes, bytearray)) or self.depth >= MAX_DEPTH:
            return
        inner = Machine(Source.from_bytes(bytes(data)), self.allow,
                        label=f"{self.label + ' > ' if self.label else ''}inner pickle passed to {callee.full} at byte {op.pos:,}",
                        depth=self.depth + 1, imports=self.imports, problems=self.problems, keep=self.keep,
                        budget=self.budget)
        inner.run()

    def _mutable_target(self, op: Op) -> Any:
        target = self._top(op)
        if isinstance(target, (Lst, Dct, St, Obj)):
            return target
        if isinstance(target, Global):
            self._note(Kind.UNRESOLVED, f"{op.name} modifies {target.full} itself (a class, function or module): "
                                        "that rewires what other names resolve to", op.pos)
        else:
            self._note(Kind.UNRESOLVED, f"{op.name} is applied to {describe(target)}", op.pos)
        return None

    # -- joblib ------------------------------------------------------------------------------
    def _joblib_array(self, wrapper: Obj, op: Op) -> None:
        """joblib writes a numpy array's bytes (or a nested pickle) right after the wrapper's BUILD."""
        if not self.decoder.outside_frame():
            self._fail(Kind.MALFORMED, "joblib array data starts inside a pickle frame: joblib and the "
                                       "unpickler would read different bytes", op.pos)
        info = _wrapper_layout(wrapper.state)
        if isinstance(info, str):
            self._fail(Kind.UNRESOLVED, f"joblib array wrapper {info}: its data cannot be located", op.pos)
        count, itemsize, has_object, aligned = info  # type: ignore[misc]
        self.joblib_arrays += 1
        if has_object:
            if self.depth >= MAX_DEPTH:
                self._fail(Kind.MALFORMED, "joblib object arrays nested too deep to verify", op.pos)
            nested = Machine(self.src, self.allow, label=f"{self.label + ' > ' if self.label else ''}object array "
                                                       f"pickled after byte {op.end:,}", depth=self.depth + 1,
                             imports=self.imports, problems=self.problems, keep=self.keep, budget=self.budget)
            if not nested.run().complete:
                raise _Halt
            return
        at = self.src.pos
        if aligned:
            padding = self.src.read(1)[0]
            self.src.skip(padding)
        else:
            self._hidden_opcodes(at)
        self.src.skip(count * itemsize)

    def _hidden_opcodes(self, at: int) -> None:
        """Unaligned joblib data starts right after BUILD: would a plain unpickler run it as code?"""
        head = self.src.peek(4096)
        decoder = Decoder(Source.from_bytes(head, start=at), keep=0)
        try:
            for hidden in decoder:
                if hidden.name in CODE_OPCODES:
                    self._note(Kind.UNRESOLVED, f"the joblib array data at byte {at:,} also reads as pickle opcodes "
                                                f"({hidden.name} at byte {hidden.pos:,}): a plain pickle.load of this "
                                                "file would run them", at)
                    return
                if hidden.name == "STOP" or decoder.count > 4096:
                    return
        except (PickleSyntaxError, ReadError):
            return

    # -- persistent ids ----------------------------------------------------------------------
    def _persistent(self, pid: Any, op: Op) -> Any:
        self.plausible = True
        if self.persistent is None:
            self._note(Kind.UNRESOLVED, f"{op.name} hands {describe(pid)} to persistent_load: only a custom loader "
                                        "knows what that loads, and this is not a PyTorch checkpoint", op.pos)
            return Opaque("a persistent object")
        return self.persistent(pid, op.pos, self)

    def note(self, kind: Kind, message: str, pos: int | None) -> None:
        """For persistent-id handlers: record a problem under this pickle's label."""
        self._note(kind, message, pos)


_NOT_IN_A_MODULE_NAME = re.compile(r"[\s\x00/\\]")


def importable(module: str) -> bool:
    """Whether `__import__(module)` (what find_class calls) may find something.

    Not only identifiers: the import system looks for a file named after each dotted part, so
    `__import__("my-mod")` imports my-mod.py from the current folder, which may be the release's
    own. Only names no file can carry (whitespace, NUL, a path separator, an empty part) are out.
    """
    return bool(module) and not _NOT_IN_A_MODULE_NAME.search(module) and all(module.split("."))


def _wrapper_layout(state: Any) -> tuple[int, int, bool, bool] | str:
    """(element count, item size, holds objects, aligned) of a joblib NumpyArrayWrapper's state."""
    if not isinstance(state, Dct):
        return "has no state dict"
    shape, dtype = state.get("shape"), state.get("dtype")
    if not isinstance(shape, Tup) or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0
                                             for d in shape.items) or shape.total != len(shape.items):
        return f"has shape {describe(shape)}, not a tuple of sizes"
    if not isinstance(dtype, Obj) or dtype.callee.full != "numpy.dtype" or not isinstance(dtype.args, Tup) \
            or not dtype.args.items or not isinstance(dtype.args.items[0], str):
        return f"has dtype {describe(dtype)}, not a numpy dtype"
    descr = dtype.args.items[0]
    match = re.match(r"^[<>|=]?([A-Za-z])(\d*)", descr)
    if match is None:
        return f"has dtype {descr!r}"
    itemsize = int(match.group(2)) if match.group(2) else 0
    flags = 0
    dstate = dtype.state
    if isinstance(dstate, Tup) and len(dstate.items) >= 8:
        elsize, flags = dstate.items[5], dstate.items[7]
        if isinstance(elsize, int) and elsize > 0:
            itemsize = elsize
        flags = flags if isinstance(flags, int) else 0
    has_object = match.group(1) == "O" or bool(flags & 1)
    if itemsize <= 0 and not has_object:
        return f"has dtype {descr!r} of unknown size"
    return math.prod(shape.items), itemsize, has_object, state.get("numpy_array_alignment_bytes") is not None


# -- opcode handlers ----------------------------------------------------------------------------
def _push_arg(m: Machine, op: Op) -> None:
    m.stack.append(op.arg)


def _push_const(value: Any) -> Callable[[Machine, Op], None]:
    def push(m: Machine, op: Op) -> None:
        m.stack.append(value)
    return push


def _mark(m: Machine, op: Op) -> None:
    m.metastack.append(m.stack)
    m.stack = []


def _pop(m: Machine, op: Op) -> None:
    if m.stack:
        m.stack.pop()
    else:
        m._pop_mark(op)


def _pop_mark(m: Machine, op: Op) -> None:
    m._pop_mark(op)


def _dup(m: Machine, op: Op) -> None:
    m.stack.append(m._top(op))


def _tuple_n(n: int) -> Callable[[Machine, Op], None]:
    def build(m: Machine, op: Op) -> None:
        if len(m.stack) < n:
            m._fail(Kind.MALFORMED, f"{op.name} needs {n} values (stack underflow)", op.pos)
        items = m.stack[len(m.stack) - n:]
        del m.stack[len(m.stack) - n:]
        m.stack.append(Tup(items))
    return build


def _tuple(m: Machine, op: Op) -> None:
    items = m._pop_mark(op)  # first: popping the mark replaces m.stack
    m.stack.append(Tup(items))


def _empty_list(m: Machine, op: Op) -> None:
    m.stack.append(Lst())


def _list(m: Machine, op: Op) -> None:
    items = m._pop_mark(op)
    m.stack.append(Lst(items))


def _append(m: Machine, op: Op) -> None:
    value = m._pop(op)
    target = m._mutable_target(op)
    if isinstance(target, Lst):
        target.extend([value])


def _appends(m: Machine, op: Op) -> None:
    items = m._pop_mark(op)
    target = m._mutable_target(op)
    if isinstance(target, Lst):
        target.extend(items)


def _empty_dict(m: Machine, op: Op) -> None:
    m.stack.append(Dct())


def _pairs(m: Machine, op: Op, items: list[Any]) -> list[tuple[Any, Any]]:
    if len(items) % 2:
        m._fail(Kind.MALFORMED, f"{op.name} has an odd number of items", op.pos)
    return list(zip(items[::2], items[1::2]))


def _dict(m: Machine, op: Op) -> None:
    d = Dct()
    pairs = _pairs(m, op, m._pop_mark(op))
    for key, value in pairs:
        d.add(key, value)
    m.stack.append(d)


def _setitem(m: Machine, op: Op) -> None:
    value = m._pop(op)
    key = m._pop(op)
    target = m._mutable_target(op)
    if isinstance(target, Dct):
        target.add(key, value)


def _setitems(m: Machine, op: Op) -> None:
    pairs = _pairs(m, op, m._pop_mark(op))
    target = m._mutable_target(op)
    if isinstance(target, Dct):
        for key, value in pairs:
            target.add(key, value)


def _empty_set(m: Machine, op: Op) -> None:
    m.stack.append(St())


def _additems(m: Machine, op: Op) -> None:
    items = m._pop_mark(op)
    target = m._mutable_target(op)
    if isinstance(target, St):
        target.total += len(items)


def _frozenset(m: Machine, op: Op) -> None:
    items = m._pop_mark(op)
    m.stack.append(St(len(items)))


def _global(m: Machine, op: Op) -> None:
    value = m._import(op.arg[0], op.arg[1], op)
    if len(op.arg) == 3:
        m._fail(Kind.MALFORMED, f"{op.name} at the end of the data without a newline: the Python unpickler "
                                "(joblib.load) imports the module before it fails", op.pos)
    if not op.arg[1]:  # the Python unpickler imports the module, then fails; the C one refuses first
        m._fail(Kind.MALFORMED, f"{op.name} with an empty name after module {op.arg[0]!r}", op.pos)
    m.stack.append(value)


def _stack_global(m: Machine, op: Op) -> None:
    name = m._pop(op)
    module = m._pop(op)
    if type(module) is str and type(name) is str:
        m.stack.append(m._import(module, name, op))
        return
    m.plausible = True
    m._note(Kind.UNRESOLVED, f"STACK_GLOBAL takes its module from {describe(module)} and its name from "
                             f"{describe(name)}, not from string constants: the callable cannot be resolved "
                             "statically", op.pos)
    m.stack.append(Opaque("a global resolved at load time"))


def _inst(m: Machine, op: Op) -> None:
    cls = m._import(op.arg[0], op.arg[1], op)  # the Python unpickler imports before it looks for the MARK
    if len(op.arg) == 3:
        m._fail(Kind.MALFORMED, f"{op.name} at the end of the data without a newline: the Python unpickler "
                                "(joblib.load) imports the module before it fails", op.pos)
    if not op.arg[1]:
        m._fail(Kind.MALFORMED, f"{op.name} with an empty name after module {op.arg[0]!r}", op.pos)
    items = m._pop_mark(op)
    m.stack.append(m._call(cls, Tup(items), op))


def _obj(m: Machine, op: Op) -> None:
    items = m._pop_mark(op)
    if not items:
        m._fail(Kind.MALFORMED, "OBJ without a class (stack underflow)", op.pos)
    m.stack.append(m._call(items[0], Tup(items[1:]), op))


def _newobj(m: Machine, op: Op) -> None:
    args = m._pop(op)
    cls = m._pop(op)
    m.stack.append(m._call(cls, args, op))


def _newobj_ex(m: Machine, op: Op) -> None:
    m._pop(op)  # kwargs
    args = m._pop(op)
    cls = m._pop(op)
    m.stack.append(m._call(cls, args, op))


def _reduce(m: Machine, op: Op) -> None:
    args = m._pop(op)
    func = m._top(op)
    m.stack[-1] = m._call(func, args, op)


def _build(m: Machine, op: Op) -> None:
    state = m._pop(op)
    inst = m._top(op)
    if not isinstance(inst, Obj):
        if isinstance(inst, Global):
            m._note(Kind.UNRESOLVED, f"BUILD sets attributes on {inst.full} itself (a class, function or module): "
                                     "that rewires what later names resolve to", op.pos)
        else:
            m._note(Kind.UNRESOLVED, f"BUILD applies state to {describe(inst)}", op.pos)
        return
    parts = [state]
    if isinstance(state, Tup) and len(state.items) == 2:
        parts = list(state.items)
    for part in parts:
        if isinstance(part, Dct) and part.dunder is not None:
            m._note(Kind.UNRESOLVED, f"BUILD sets attribute {part.dunder!r} on {inst.describe()}: special names in "
                                     "state are how a later BUILD or the loading program is made to call "
                                     "something", op.pos)
    inst.state = state
    if inst.callee.full == JOBLIB_WRAPPER or (
            inst.callee.full == "copyreg._reconstructor" and isinstance(inst.args, Tup) and inst.args.items
            and isinstance(inst.args.items[0], Global) and inst.args.items[0].full == JOBLIB_WRAPPER):
        m._joblib_array(inst, op)


def _ext(m: Machine, op: Op) -> None:
    m.plausible = True  # reaches code: a tentative parse must not drop it as "not a pickle"
    m._note(Kind.UNRESOLVED, f"{op.name} {op.arg} loads a callable from copyreg's extension registry, which the "
                             "loading program sets up: it cannot be resolved statically", op.pos)
    m.stack.append(Opaque("a callable from the extension registry"))


def _persid(m: Machine, op: Op) -> None:
    if m.persistent is None:  # C checks for persistent_load before it even reads the argument
        m._fail(Kind.MALFORMED, "PERSID, but the standard loaders have no persistent_load here: they stop", op.pos)
    m.stack.append(m._persistent(op.arg, op))


def _binpersid(m: Machine, op: Op) -> None:
    pid = m._pop(op)
    m.stack.append(m._persistent(pid, op))


def _get(m: Machine, op: Op) -> None:
    if op.arg not in m.memo:
        m._fail(Kind.MALFORMED, f"{op.name} reads memo entry {op.arg}, which was never written", op.pos)
    m.stack.append(m.memo[op.arg])


def _put(m: Machine, op: Op) -> None:
    m.memo[op.arg] = m._top(op)


def _memoize(m: Machine, op: Op) -> None:
    m.memo[len(m.memo)] = m._top(op)


def _nothing(m: Machine, op: Op) -> None:
    return None


def _readonly_buffer(m: Machine, op: Op) -> None:
    m._top(op)


def _next_buffer(m: Machine, op: Op) -> None:
    m._fail(Kind.MALFORMED, "NEXT_BUFFER needs out-of-band buffers, which a file cannot provide", op.pos)


def _stop(m: Machine, op: Op) -> Any:
    return m._pop(op)


_HANDLERS: dict[str, Callable[[Machine, Op], Any]] = {
    "MARK": _mark, "STOP": _stop, "POP": _pop, "POP_MARK": _pop_mark, "DUP": _dup,
    "FLOAT": _push_arg, "INT": _push_arg, "BININT": _push_arg, "BININT1": _push_arg, "LONG": _push_arg,
    "BININT2": _push_arg, "NONE": _push_const(None), "PERSID": _persid, "BINPERSID": _binpersid,
    "REDUCE": _reduce, "STRING": _push_arg, "BINSTRING": _push_arg, "SHORT_BINSTRING": _push_arg,
    "UNICODE": _push_arg, "BINUNICODE": _push_arg, "APPEND": _append, "BUILD": _build, "GLOBAL": _global,
    "DICT": _dict, "EMPTY_DICT": _empty_dict, "APPENDS": _appends, "GET": _get, "BINGET": _get,
    "INST": _inst, "LONG_BINGET": _get, "LIST": _list, "EMPTY_LIST": _empty_list, "OBJ": _obj,
    "PUT": _put, "BINPUT": _put, "LONG_BINPUT": _put, "SETITEM": _setitem, "TUPLE": _tuple,
    "EMPTY_TUPLE": _tuple_n(0), "SETITEMS": _setitems, "BINFLOAT": _push_arg, "PROTO": _nothing,
    "NEWOBJ": _newobj, "EXT1": _ext, "EXT2": _ext, "EXT4": _ext, "TUPLE1": _tuple_n(1),
    "TUPLE2": _tuple_n(2), "TUPLE3": _tuple_n(3), "NEWTRUE": _push_const(True),
    "NEWFALSE": _push_const(False), "LONG1": _push_arg, "LONG4": _push_arg, "BINBYTES": _push_arg,
    "SHORT_BINBYTES": _push_arg, "SHORT_BINUNICODE": _push_arg, "BINUNICODE8": _push_arg,
    "BINBYTES8": _push_arg, "EMPTY_SET": _empty_set, "ADDITEMS": _additems, "FROZENSET": _frozenset,
    "NEWOBJ_EX": _newobj_ex, "STACK_GLOBAL": _stack_global, "MEMOIZE": _memoize, "FRAME": _nothing,
    "BYTEARRAY8": _push_arg, "NEXT_BUFFER": _next_buffer, "READONLY_BUFFER": _readonly_buffer,
}
