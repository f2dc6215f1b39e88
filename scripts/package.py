"""Builds the Playground executable and its archive, and keeps the size within budget.

    python scripts/package.py            (Linux: bash scripts/dev.sh dist does this for you)

Runs PyInstaller on build.spec into dist/playground/, adds the Linux desktop entry, icon and an
installer for them, packs dist/playground-<version>-<os>-<arch>.tar.gz (.zip on Windows and macOS),
prints the folder size and its biggest parts, and exits 1 when the folder is over SIZE_BUDGET_MB.
Works the same on Linux, Windows and macOS (run it there with that OS's Python).
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import stat
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DIST = ROOT / "dist"
APP_DIR = DIST / "playground"
# The one-folder app may not grow past this. Today it is about 340 MB on Linux: Qt 144 MB (with
# QtMultimedia's FFmpeg backend, about 45 MB with the Quick/Qml libraries its plugin links), numpy
# with OpenBLAS 43 MB (Embeddings maths and the plots), Python 35 MB, Pillow 19 MB, cryptography
# (for the Secret Service) 14 MB. Raise the budget only with a reason in the commit: it was 250 MB
# before the Audio tab (QtMultimedia) and the plots (numpy, pyqtgraph) landed.
SIZE_BUDGET_MB = 360

INSTALL_SCRIPT = """#!/bin/sh
# Adds Playground to your desktop's application menu (for this user).
set -e
here=$(cd "$(dirname "$0")" && pwd)
apps="${XDG_DATA_HOME:-$HOME/.local/share}/applications"
icons="${XDG_DATA_HOME:-$HOME/.local/share}/icons/hicolor/256x256/apps"
mkdir -p "$apps" "$icons"
cp "$here/playground.png" "$icons/playground.png"
sed "s|^Exec=.*|Exec=\\"$here/playground\\"|" "$here/playground.desktop" > "$apps/playground.desktop"
echo "Playground is in your application menu now."
"""


def version() -> str:
    text = (ROOT / "playground" / "__init__.py").read_text(encoding="utf-8")
    found = re.search(r'__version__ = "([^"]+)"', text)
    assert found is not None
    return found.group(1)


def build(clean: bool) -> None:
    import PyInstaller.__main__

    args = [
        "--noconfirm",
        "--distpath",
        str(DIST),
        "--workpath",
        str(ROOT / "build"),
        str(ROOT / "build.spec"),
    ]
    PyInstaller.__main__.run(["--clean", *args] if clean else args)


def add_desktop_files() -> None:
    """The Linux desktop entry, its icon and a script that installs both for the current user."""
    if not sys.platform.startswith("linux"):
        return
    for name in ("playground.desktop", "playground.png"):
        shutil.copy2(ROOT / "resources" / "app" / name, APP_DIR / name)
    installer = APP_DIR / "install-desktop-entry.sh"
    installer.write_text(INSTALL_SCRIPT, encoding="utf-8")
    installer.chmod(installer.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


def archive() -> Path:
    system = {"linux": "linux", "win32": "windows", "darwin": "macos"}.get(
        sys.platform, sys.platform
    )
    base = DIST / f"playground-{version()}-{system}-{platform.machine().lower()}"
    fmt = "gztar" if system == "linux" else "zip"
    source = (
        DIST / "Playground.app"
        if system == "macos" and (DIST / "Playground.app").exists()
        else APP_DIR
    )
    return Path(shutil.make_archive(str(base), fmt, root_dir=source.parent, base_dir=source.name))


def folder_size(path: Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            file = Path(root) / name
            if not file.is_symlink():
                total += file.stat().st_size
    return total


def report(top: int = 10) -> int:
    """Prints the size and the biggest parts; returns the size in bytes."""
    total = folder_size(APP_DIR)
    internal = APP_DIR / "_internal"
    parts = [
        (folder_size(p) if p.is_dir() else p.stat().st_size, p.name)
        for p in internal.iterdir()
        if not p.is_symlink()  # links into PySide6/ (counted there)
    ]
    print(f"\n{APP_DIR.relative_to(ROOT)}: {total / 1e6:.0f} MB (budget {SIZE_BUDGET_MB} MB)")
    for size, name in sorted(parts, reverse=True)[:top]:
        print(f"  {size / 1e6:6.1f} MB  {name}")
    qt_lib = internal / "PySide6" / "Qt" / "lib"
    if qt_lib.is_dir():
        biggest = sorted(
            ((p.stat().st_size, p.name) for p in qt_lib.iterdir() if p.is_file()), reverse=True
        )
        print("  of PySide6: " + ", ".join(f"{n} {s / 1e6:.0f} MB" for s, n in biggest[:5]))
    return total


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--no-build", action="store_true", help="only pack and measure an existing build"
    )
    parser.add_argument(
        "--no-clean", action="store_true", help="reuse PyInstaller's cache (faster rebuilds)"
    )
    args = parser.parse_args()
    if not args.no_build:
        build(clean=not args.no_clean)
    if not (APP_DIR / ("playground.exe" if sys.platform == "win32" else "playground")).exists():
        print(f"no build in {APP_DIR}", file=sys.stderr)
        return 1
    add_desktop_files()
    packed = archive()
    total = report()
    print(f"archive: {packed.relative_to(ROOT)} ({packed.stat().st_size / 1e6:.0f} MB)")
    if total > SIZE_BUDGET_MB * 1_000_000:
        print(f"OVER BUDGET: {total / 1e6:.0f} MB > {SIZE_BUDGET_MB} MB", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
