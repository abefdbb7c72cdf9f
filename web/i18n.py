"""zh-CN by default, English on request: flask-babel with catalogs compiled when the app starts.

Message ids are the Chinese texts themselves, so the Chinese UI needs no catalog. The English
catalog (``web/translations/en/LC_MESSAGES/messages.po``) is compiled to a ``.mo`` under the instance
folder at start-up (no generated binary in the repository). Refresh the ids after changing texts::

    pybabel extract -F web/babel.cfg -k _l -o messages.pot . && pybabel update -i messages.pot -d web/translations
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, request, session
from flask_babel import Babel

SOURCE = Path(__file__).parent / "translations"
LOCALES = ("zh_CN", "en")


def compile_catalogs(target: Path) -> Path:
    """Compile every ``.po`` under web/translations into ``target`` (when newer); return ``target``."""
    for po in SOURCE.glob("*/LC_MESSAGES/*.po"):
        mo = target / po.relative_to(SOURCE).with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        mo.parent.mkdir(parents=True, exist_ok=True)
        with po.open("rb") as fh:
            catalog = read_po(fh, locale=po.parts[-3])
        partial = mo.with_suffix(f".{id(catalog)}.tmp")
        with partial.open("wb") as out:
            write_mo(out, catalog)
        partial.replace(mo)  # atomic: workers starting together never read half a file
    return target


def _locale() -> str:
    chosen = session.get("lang") if request else None
    if chosen in LOCALES:
        return str(chosen)
    return "zh_CN"


def init_app(app: Flask) -> None:
    """Set up flask-babel with zh-CN as the default locale."""
    target = compile_catalogs(Path(app.instance_path) / "translations")
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "zh_CN")
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(target)
    Babel(app, locale_selector=_locale)
