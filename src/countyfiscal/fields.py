"""The one table of every output column: name, type, unit and meaning; it drives column order everywhere."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Field:
    name: str
    dtype: str  # "string", "Int64", "float64"
    description: str
    unit: str = ""


def _f(name: str, dtype: str, description: str, unit: str = "") -> Field:
    return Field(name, dtype, description, unit)


# Contract columns (docs/CONTRACT.md) come first, in contract order; extensions follow.
TABLES: dict[str, list[Field]] = {
    "documents": [
        _f("file", "string", "the input's file name as found in the raw folder"),
        _f("sha256", "string", "SHA-256 of the input bytes"),
        _f("status", "string", "ok · partial · rejected · duplicate"),
        _f("reason", "string", "empty when ok; otherwise one plain sentence saying why"),
        _f("doc_kind", "string", "budget · final_account · performance_evaluation · empty when unknown"),
        _f("fiscal_year", "Int64", "the year the document reports on", "year"),
        _f("department", "string", "the department's name as the document gives it"),
        _f("jurisdiction", "string", "the level-bearing place the department belongs to (county, city or 国家)"),
        _f("province", "string", "resolved province-level name"),
        _f("city", "string", "resolved prefecture-level name; empty where not applicable"),
        _f("county", "string", "resolved county-level name; empty where not applicable"),
        _f("admin_code", "string", "6-digit administrative division code of the jurisdiction, where resolvable"),
        _f("format", "string", "input format read: txt · docx · pdf · html"),
        _f("encoding", "string", "text encoding detected for .txt/.html inputs"),
        _f("pages", "Int64", "number of pages (PDF only)", "pages"),
        _f("chars", "Int64", "length of the normalised text", "characters"),
        _f("n_figures", "Int64", "number of rows this file contributed to figures.csv", "rows"),
        _f("duplicate_of", "string", "for status duplicate: the file this one repeats"),
        _f("scope", "string", "department (部门预算/决算: the department with its units) · unit (单位预算/决算: one unit) · "
           "empty when the title says neither"),
        _f("ocr_pages", "string", "pages read by OCR (no text layer), e.g. '3-5, 9'; empty when none was"),
    ],
    "figures": [
        _f("file", "string", "as in documents.csv"),
        _f("measure", "string", "measure name from the contract vocabulary (docs/CONTRACT.md). income_grand_total / "
           "expenditure_grand_total are 收入总计 / 支出总计, carry-overs included (上年结转, 年末结转和结余); in a final "
           "account income_total / expenditure_total are the year's own 本年收入合计 / 本年支出合计, in a budget the "
           "收入/支出预算总额 the document states"),
        _f("fiscal_year", "Int64", "the year the figure belongs to", "year"),
        _f("basis", "string", "budget (预算数) or actual (决算数/执行数); empty for staff counts"),
        _f("code", "string", "classification code (functional 3/5/7 digits, economic 3/5 digits)"),
        _f("label", "string", "classification name where code is set"),
        _f("value", "float64", "the figure: yuan for money, persons for counts", "yuan or count"),
        _f("unit", "string", "yuan or count"),
        _f("method", "string", "stated or derived"),
        _f("formula", "string", "how a derived figure was computed; empty for stated figures"),
        _f("quote", "string", "exact fragment of the normalised text that states the figure"),
        _f("start", "Int64", "character offset of quote in the normalised text", "characters"),
        _f("end", "Int64", "character offset just past quote in the normalised text", "characters"),
        _f("page", "Int64", "1-based page of quote (PDF only)", "page"),
        _f("source", "string", "text (narrative) or table (a disclosure table); ocr_text / ocr_table when read by OCR from a scanned page"),
        _f("table", "string", "title of the disclosure table the figure came from (source=table)"),
        _f("row", "string", "row label in that table (source=table)"),
        _f("column", "string", "column header in that table (source=table)"),
        _f("table_kind", "string", "identity of that table, confirmed by its own headers and rows (income_expenditure · "
           "income · expenditure · fiscal_appropriation · general_function · general_economic · basic_economic · "
           "sangong · agency_operating · procurement …, the kinds of resources/table_titles.yml); empty where "
           "uncertain (cross-table checks skip those)"),
        _f("scale", "string", "the unit as printed: 元, 万元 or 亿元 (count for persons); empty for a zero stated in "
           "words (本部门无“三公”经费支出): exact"),
        _f("decimals", "Int64", "decimal places as printed (rounding allowance is half a unit of the last place)"),
        _f("stated_reason", "string", "the reason the document gives beside an item's budget-vs-actual statement, from "
           "主要原因 to the end of its sentence (\"主要原因是人员增加\"); empty otherwise"),
        _f("more_precise", "boolean", "among statements of the same figure that agree within rounding: true for the "
           "most precisely printed one(s); empty for a figure stated once"),
        _f("confidence", "float64", "for a figure read by OCR (source ocr_text or ocr_table): mean recognition score "
           "of its quote's characters; empty for a text layer", "0-1"),
        _f("scope", "string", "total (all funds of the reporting entity) or appropriation (only its 一般公共预算/财政拨款 "
           "part, as a 一般公共预算 table or a sentence about 财政拨款 states it); measures a document states for one "
           "scope only (三公, 机关运行经费, …) are total. A figure's key is (file, measure, fiscal_year, basis, code, "
           "scope): one value per key"),
    ],
    "flags": [
        _f("file", "string", "as in documents.csv (several ';'-separated for cross-document checks)"),
        _f("check", "string", "sum_of_parts · share · year_on_year · restatement · execution_rate · wording · document_year · placeholder · table_vs_text · ocr_table (an OCR'd table failing its own identities) · ocr_confidence · …"),
        _f("status", "string", "mismatch (beyond rounding) · rounding (within printed precision) · insufficient_data"),
        _f("measure", "string", "the figure the check is about"),
        _f("code", "string", "its classification code, if any"),
        _f("fiscal_year", "Int64", "its year", "year"),
        _f("basis", "string", "budget or actual"),
        _f("reported", "string", "what the document says (a number or the words)"),
        _f("expected", "string", "what the other stated figures imply"),
        _f("message", "string", "one sentence a researcher understands"),
        _f("quotes", "string", "the quotes of every figure involved, '|'-separated"),
        _f("pages", "string", "the 1-based page of each quote, '|'-separated in the order of quotes (empty where a "
           "quote has no page; the whole cell empty for documents without pages)"),
        _f("origin", "string", "reading (raised while the document was read or its figures extracted) · check "
           "(recomputed by the checks from figures.csv and the text; `countyfiscal check` redoes these)"),
    ],
    "metrics": [
        _f("jurisdiction", "string", "whose metric"),
        _f("department", "string", "the department"),
        _f("fiscal_year", "Int64", "the year", "year"),
        _f("basis", "string", "budget or actual"),
        _f("metric", "string", "metric name (see CONTRACT.md)"),
        _f("value", "float64", "the metric; percentages as numbers (-4.06 means −4.06 %)"),
        _f("numerator", "float64", "input the metric was computed from"),
        _f("denominator", "float64", "input the metric was computed from"),
        _f("formula", "string", "how, in words or symbols"),
        _f("inputs", "string", "the files the inputs came from"),
        _f("comparability", "string", "empty, or why comparing this value across counties needs care"),
        _f("base", "string", "for a change: what it is measured against — prior_budget (上年预算数), prior_execution "
           "(上年执行数) or prior_final_account (上年决算数); empty for other metrics, or where the statement a change "
           "rests on does not say"),
    ],
    # countyfiscal.audit.statements: what a document states about its figures (one row per statement, text order).
    "statements": [
        _f("file", "string", "as in documents.csv"),
        _f("kind", "string", "change_amount · change_pct · share_pct · execution_pct · wording"),
        _f("measure", "string", "the measure the statement is about (empty when no measure could be told)"),
        _f("code", "string", "its classification code, if any"),
        _f("fiscal_year", "Int64", "the year the statement is about (a change: the later year)", "year"),
        _f("basis", "string", "budget or actual"),
        _f("base", "string", "changes: what the change is measured against, as the sentence says — prior_budget "
           "(比上年预算数/上年年初预算) · prior_execution (比上年执行数/上年预计执行) · prior_final_account "
           "(比上年决算数) · empty when the sentence does not say"),
        _f("scope", "string", "changes: appropriation where the sentence is about the 一般公共预算/财政拨款 part of a "
           "measure figures state for both scopes, else total (as figures.scope); empty for other kinds"),
        _f("value", "float64", "yuan for change_amount; percent for *_pct (-: see direction); empty for wording",
           "yuan or percent"),
        _f("scale", "string", "the unit as printed: 元/万元/亿元 for amounts, % for percentages"),
        _f("decimals", "Int64", "decimal places as printed"),
        _f("direction", "Int64", "+1 an increase, -1 a decrease, 0 not said (增加/减少) or no change (与上年持平: value 0)"),
        _f("words", "string", "wording: greater · less · equal (决算数大于/小于/等于预算数) · unchanged (与上年持平); "
           "'unchanged' also on the change_pct row of value 0 such a sentence states"),
        _f("quote", "string", "exact fragment of the normalised text that states it"),
        _f("start", "Int64", "character offset of the statement in the normalised text", "characters"),
        _f("end", "Int64", "character offset just past it", "characters"),
        _f("figure_value", "float64", "shares and execution rates: the amount the percentage is of (numerator)", "yuan"),
        _f("figure_scale", "string", "its unit as printed"),
        _f("figure_decimals", "Int64", "its decimals as printed"),
        _f("figure_quote", "string", "its quote"),
        _f("figure_start", "Int64", "its offset", "characters"),
        _f("base_value", "float64", "shares: the amount the share is of (denominator), where it could be found", "yuan"),
        _f("base_scale", "string", "its unit as printed"),
        _f("base_decimals", "Int64", "its decimals as printed"),
        _f("base_quote", "string", "its quote"),
        _f("sentence_start", "Int64", "offset where the statement's sentence begins", "characters"),
        _f("chain", "Int64", "change_pct: start of the change_amount it qualifies (same clause chain); -1 otherwise"),
        _f("page", "Int64", "1-based page of the statement (PDF only)", "page"),
    ],
    # Text mining (countyfiscal.text). Offsets are into the normalised text, like figures.start/end.
    "sections": [
        _f("file", "string", "as in documents.csv"),
        _f("path", "string", "headings from the outermost down to this one, ' > '-separated; empty on a no_work_summary row"),
        _f("kind", "string", "duties · work_summary (work summary or work plan) · finance · performance · glossary · overview · other; no_work_summary marks a document with no work-summary section (one row, no offsets)"),
        _f("start", "Int64", "offset of the heading's first character", "characters"),
        _f("end", "Int64", "offset just past the section's last non-space character", "characters"),
        _f("heading", "string", "the heading as printed up to its first sentence stop (numbering included)"),
        _f("marker", "string", "the numbering as printed (第一部分, 一、, （一）, 1., （1）, 一是), empty for an unnumbered heading"),
        _f("style", "string", "numbering style: part · annex · cn · cn_paren · num · num_paren · circled · item · bare"),
        _f("depth", "Int64", "1 for a top-level section", "levels"),
        _f("kind_from", "string", "why the section has its kind: heading · parent · previous_sibling · default"),
        _f("scope", "string", "the text-mining scope this section's text is counted in (work_summary: work summary, "
           "work plan or performance section; duties), as an outermost section of that scope; empty otherwise"),
    ],
    "keywords": [
        _f("file", "string", "as in documents.csv"),
        _f("scope", "string", "work_summary (work-summary, work-plan and performance sections) or duties (duties sections)"),
        _f("method", "string", "log_odds (z-score of the log-odds ratio against the rest of the corpus, informative Dirichlet prior), "
           "tfidf (IDF on this run's documents of the same scope) or textrank (jieba's TextRank, only when asked for); "
           "empty on a note row"),
        _f("rank", "Int64", "1 = strongest keyword of the document for this scope and method"),
        _f("term", "string", "the keyword (stopwords never appear)"),
        _f("score", "float64", "log_odds: z = δ/σ of the weighted log-odds ratio (keywords.log_odds_scores); tfidf: term "
           "frequency × smoothed IDF ln((1+N)/(1+df))+1; textrank: jieba's normalised rank; 6 decimals"),
        _f("count", "Int64", "times the term occurs in the scope's text", "occurrences"),
        _f("df", "Int64", "documents of this run (same scope) whose text contains the term", "documents"),
        _f("rest_count", "Int64", "times the term occurs in the same scope of every other document of this run", "occurrences"),
        _f("note", "string", "empty, or why the document has no keywords in this scope (one row, term empty)"),
    ],
    "themes": [
        _f("file", "string", "as in documents.csv"),
        _f("jurisdiction", "string", "as in documents.csv"),
        _f("scope", "string", "document (whole text), work_summary (work-summary, work-plan and performance sections) or duties"),
        _f("theme", "string", "theme name from resources/themes.yml; empty on a note row"),
        _f("hits", "Int64", "non-overlapping occurrences of the theme's terms in the scope's text", "occurrences"),
        _f("hits_per_1000_chars", "float64", "hits per 1,000 non-space characters of the scope's text; 3 decimals", "per 1,000 characters"),
        _f("sentence_share", "float64", "share of the scope's sentences holding at least one hit (0–1); 4 decimals", "share"),
        _f("sentences_hit", "Int64", "sentences holding at least one hit", "sentences"),
        _f("sentences", "Int64", "sentences in the scope's text (split at 。！？； and line ends)", "sentences"),
        _f("chars", "Int64", "non-space characters in the scope's text", "characters"),
        _f("terms_found", "string", "term×count for every term found, most frequent first, '; '-separated"),
        _f("example", "string", "the sentence with the most hits (earliest on ties); empty when hits = 0"),
        _f("example_start", "Int64", "offset of the example sentence", "characters"),
        _f("example_end", "Int64", "offset just past the example sentence", "characters"),
        _f("sentence_spans", "string", "start:end of every sentence with a hit, ';'-separated, so every count can be traced"),
        _f("department", "string", "as in documents.csv"),
        _f("department_kind", "string", "the department kind whose lexicon the document is scored against, chosen from "
           "the department's name (resources/themes.yml); empty when none matches (generic themes only)"),
        _f("theme_set", "string", "generic (every department is scored against it) or the department kind the theme belongs to"),
        _f("note", "string", "empty, or why the document has no text in this scope (one row per missing scope, theme and counts empty)"),
    ],
    "recurring_themes": [
        _f("scope", "string", "document, work_summary or duties"),
        _f("theme", "string", "a theme whose terms the scope's text of at least two departments holds"),
        _f("n_jurisdictions", "Int64", "distinct non-empty jurisdictions with at least one hit", "jurisdictions"),
        _f("jurisdictions", "string", "those jurisdictions, '、'-separated, sorted"),
        _f("n_documents", "Int64", "documents with at least one hit", "documents"),
        _f("hits", "Int64", "hits summed over those documents", "occurrences"),
        _f("top_jurisdiction", "string", "the jurisdiction where the theme is densest (highest hits_per_1000_chars; the earliest name on ties)"),
        _f("top_hits_per_1000_chars", "float64", "its hits per 1,000 characters; 3 decimals", "per 1,000 characters"),
        _f("theme_set", "string", "generic or the department kind the theme belongs to"),
        _f("rank", "Int64", "1 = the theme mentioned by the largest share of the departments scored against it, per scope, "
           "ranked by department_share_low (ties: department_share, hits, then the name)"),
        _f("n_departments", "Int64", "departments (jurisdiction + department of documents.csv) whose scope text holds the "
           "theme", "departments"),
        _f("departments_scored", "Int64", "departments with text in this scope scored against the theme (all for generic "
           "themes, that kind's departments for a kind's theme)", "departments"),
        _f("department_share", "float64", "n_departments / departments_scored; 4 decimals", "share"),
        _f("department_share_low", "float64", "lower bound of the 95 % Wilson interval of department_share (2 of 2 "
           "departments: 0.34; 23 of 27: 0.68), what the rank orders by; 4 decimals", "share"),
        _f("jurisdictions_scored", "Int64", "distinct non-empty jurisdictions among the departments scored", "jurisdictions"),
        _f("jurisdiction_share", "float64", "n_jurisdictions / jurisdictions_scored; 4 decimals", "share"),
        _f("documents_scored", "Int64", "documents with text in this scope scored against the theme", "documents"),
    ],
}


def columns(table: str) -> list[str]:
    """Column names of an output table, in output order.

    >>> columns("figures")[:3]
    ['file', 'measure', 'fiscal_year']
    """
    return [f.name for f in TABLES[table]]


def dtypes(table: str) -> dict[str, str]:
    return {f.name: f.dtype for f in TABLES[table]}
