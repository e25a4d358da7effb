"""The stable file names of figures, without matplotlib: the report's parent process names figures it never draws
(the index, the profile pages) and must not pay for importing the plotting stack to do so."""

from __future__ import annotations


def figure_name(notebook: str, figure: str, param: str = "") -> str:
    """The stable file stem of a figure: ``<notebook-stem>__<figure-name>[__<param>]``.

    >>> figure_name("10_department_profile", "headline", "红塔区信访局")
    '10_department_profile__headline__红塔区信访局'
    """
    param = str(param).replace("/", "／").replace("\\", "＼").replace("\0", "") if param else ""
    parts = [notebook, figure] + ([param] if param else [])
    bad = [p for p in parts if not p or "/" in p or "\\" in p or "\0" in p]
    if bad:
        raise ValueError(f"figure name parts must be non-empty and contain no path separator: {parts}")
    return "__".join(parts)
