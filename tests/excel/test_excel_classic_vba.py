"""Classic xlwings: the VBA module xlwings' own generator writes for ``UDF_MODULES = excel.functions``.

"Import Functions" runs ``xlwings.udfs.generate_vba_wrapper``, which writes one VBA ``Function`` per
Python function with the Python parameter names as VBA parameter names. A name VBA reserves (such
as ``Currency``, a data type: xlwings issue #563) makes the whole module fail to compile, so every
function fails. The generator is pure Python but lives in a Windows-only module (it imports
pywin32 at the top): the test runs it in a subprocess with inert stand-ins for the three pywin32
modules and xlwings' classic (Windows) decorators, then checks every function and parameter name.
"""

from __future__ import annotations

import re
from typing import Any

_GENERATE = """
import io, json, sys, types
for name in ("pythoncom", "pywintypes", "win32com", "win32com.client"):
    sys.modules[name] = types.ModuleType(name)  # stand-ins: the generator never calls them
sys.modules["pythoncom"].CoInitialize = lambda: None
sys.modules["win32com.client"].Dispatch = None
import xlwings
import xlwings.udfs as udfs
# What `import xlwings` binds on Windows with pywin32: the classic decorators.
xlwings.func, xlwings.arg, xlwings.ret = udfs.xlfunc, udfs.xlarg, udfs.xlret
import excel.functions as module

class Book:  # the workbook the VBA module is written into (a .xlsm, not an add-in)
    Name = "gpucost.xlsm"

vba = io.StringIO()
udfs.generate_vba_wrapper("excel.functions", module, vba, Book())
options = {
    name: {a["name"]: a["options"] for a in getattr(module, name).__xlfunc__["args"]}
    for name in module.__all__
}
print(json.dumps({"vba": vba.getvalue(), "options": options}, default=repr))
"""

#: VBA's reserved identifiers: MS-VBAL (the VBA language specification, [MS-VBAL] v20140424) section
#: 3.3.5.2 "Reserved Identifiers and IDENTIFIER" (statement-keyword, marker-keyword,
#: operator-identifier, special-form, reserved-name, reserved-type-identifier, literal-identifier,
#: rem-keyword, reserved-for-implementation-use, future-reserved), plus the words of Microsoft's
#: "Keywords (Visual Basic for Applications)" page that are not in those lists (Binary, Error, Mid,
#: Property, Step, Time). Words that are keywords only inside one statement's grammar and not on
#: either list (Output, Append, Random, Access, Read in ``Open``) stay usable as names.
#: https://learn.microsoft.com/openspecs/microsoft_general_purpose_programming_languages/ms-vbal/
#: https://learn.microsoft.com/office/vba/language/reference/keywords-visual-basic-for-applications
VBA_RESERVED = frozenset(
    word.lower()
    for word in """
    Call Case Close Const Declare DefBool DefByte DefCur DefDate DefDbl DefInt DefLng DefLngLng DefLngPtr
    DefObj DefSng DefStr DefVar Dim Do Else ElseIf End EndIf Enum Erase Event Exit For Friend Function Get
    Global GoSub GoTo If Implements Input Let Lock Loop LSet Next On Open Option Print Private Public Put
    RaiseEvent ReDim Resume Return RSet Seek Select Set Static Stop Sub Type Unlock Wend While With Write
    Any As ByRef ByVal Each In New Shared Until WithEvents Optional ParamArray Preserve Spc Tab Then To
    AddressOf And Eqv Imp Is Like Mod Not Or TypeOf Xor
    Abs CBool CByte CCur CDate CDbl CDec CInt CLng CLngLng CLngPtr CSng CStr CVar CVErr Date Debug DoEvents
    Fix Int Len LenB Me PSet Scale Sgn String
    Array Circle InputB LBound UBound
    Boolean Byte Currency Double Integer Long LongLong LongPtr Single Variant
    True False Nothing Empty Null Rem
    Attribute LINEINPUT VB_Base VB_Control VB_Creatable VB_Customizable VB_Description VB_Exposed VB_Ext_KEY
    VB_GlobalNameSpace VB_HelpID VB_Invoke_Func VB_Invoke_Property VB_Invoke_PropertyPut
    VB_Invoke_PropertyPutRef VB_MemberFlags VB_Name VB_PredeclaredId VB_ProcData VB_TemplateDerived
    VB_UserMemId VB_VarDescription VB_VarHelpID VB_VarMemberFlags VB_VarProcData VB_VarUserMemId
    CDecl Decimal DefDec
    Binary Error Mid Property Step Time
    """.split()
)

#: A VBA identifier: a letter, then letters, digits or underscores, at most 255 characters (MS-VBAL 3.3.5).
VBA_IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,254}$")


_CACHE: dict[str, Any] = {}


def _generated(run_blocked: Any) -> dict[str, Any]:
    """The generator's output (run once per test session)."""
    if "out" not in _CACHE:
        _CACHE["out"] = run_blocked(_GENERATE, blocked=())
    return _CACHE["out"]  # type: ignore[no-any-return]


def _signatures(vba: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for match in re.finditer(r"^(?:Function|Sub) (\w+)\((.*)\)$", vba, flags=re.M):
        params = [
            p.strip().removeprefix("Optional ").removeprefix("ParamArray ").removesuffix("()")
            for p in match[2].split(",")
        ]
        out[match[1]] = [p for p in params if p]
    return out


def test_generated_vba_has_every_function(run_blocked: Any) -> None:
    from excel import functions as fn

    signatures = _signatures(_generated(run_blocked)["vba"])
    assert set(signatures) == set(fn.__all__)
    assert signatures["aigc_cost"][:2] == ["model", "gpu"]


def test_every_vba_name_is_a_valid_unreserved_identifier(run_blocked: Any) -> None:
    vba = _generated(run_blocked)["vba"]
    signatures = _signatures(vba)
    params = {p.lower() for names in signatures.values() for p in names}
    # Names the generated bodies use (XLPy, Application, Range, Err...): a parameter of that name
    # would shadow it inside the function.
    body = "\n".join(line for line in vba.splitlines() if not re.match(r"^(Function|Sub|End) ", line))
    body = re.sub(r'"[^"]*"', "", body)
    used = {w.lower() for w in re.findall(r"[A-Za-z_]\w*", body)} - params - {n.lower() for n in signatures}
    bad = []
    for function, names in signatures.items():
        for name in [function, *names]:
            if not VBA_IDENTIFIER.match(name) or name.lower() in VBA_RESERVED:
                bad.append(f"{function}: {name}")
        bad += [f"{function}: {name} shadows {name} in the body" for name in names if name.lower() in used]
    assert not bad, bad


def test_every_argument_reads_error_cells_as_text(run_blocked: Any) -> None:
    """err_to_str=True: an error cell reaches the function as "#N/A", never as None (an empty cell)."""
    options = _generated(run_blocked)["options"]
    missing = [
        f"{f}.{a}" for f, args in options.items() for a, opts in args.items() if opts.get("err_to_str") is not True
    ]
    assert not missing, missing


def test_plan_and_curve_are_in_the_module_and_nothing_is_volatile(run_blocked: Any) -> None:
    """A plan takes 0.1-3 s: its cell must recalculate only when an input changes. xlwings writes
    ``Application.Volatile`` into a function declared volatile; none is."""
    vba = _generated(run_blocked)["vba"]
    signatures = _signatures(vba)
    assert signatures["aigc_plan"][:9] == [
        "model", "requests_per_day", "input_tokens", "output_tokens", "tpot_max", "ttft_max", "gpus", "top", "output",
    ]  # fmt: skip
    assert signatures["aigc_curve"][:2] == ["model", "gpu"]
    assert "Application.Volatile" not in vba
    assert 'XLPy.CallUDF("excel.functions", "aigc_plan"' in vba
