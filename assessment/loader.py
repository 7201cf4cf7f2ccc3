"""Parse and validate questionnaire files (docs/questionnaire-format.md).

Parsing is pure: it turns YAML text into a `QuestionnaireSpec` or raises
`QuestionnaireFileError` listing every problem with its line and field. Writing
the spec to the database is `assessment.services.questionnaire_load`.
"""

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from assessment.dora import METRICS
from assessment.kinds import KINDS, ChoiceSpec, kind_for_metric

KEY_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
QUESTION_KINDS = tuple(KINDS)
CATEGORY_KINDS = ("practice", "delivery")

TOP_FIELDS = {"slug", "version", "title", "description", "published", "categories"}
CATEGORY_FIELDS = {"key", "name", "description", "kind", "weight", "questions"}
# Fields of a question entry: the common ones plus each kind's own (assessment.kinds).
KIND_FIELDS = tuple(
    dict.fromkeys(name for kind in KINDS.values() for name in sorted(kind.file_fields))
)
QUESTION_FIELDS = {
    "key",
    "kind",
    "text",
    "help",
    "guidance",
    "weight",
    "required",
    "metric",
    *KIND_FIELDS,
}


class QuestionnaireFileError(ValueError):
    """A questionnaire file that cannot be loaded; `errors` lists each problem."""

    def __init__(self, errors: list[str], source: str = "") -> None:
        self.errors = errors
        self.source = source
        prefix = f"{source}: " if source else ""
        super().__init__("\n".join(f"{prefix}{error}" for error in errors))


@dataclass(frozen=True)
class QuestionSpec:
    key: str
    kind: str
    text: str
    help_text: str
    weight: str
    required: bool
    metric: str
    choices: tuple[ChoiceSpec, ...]
    # Advice for planning an improvement action; not part of what was answered,
    # so it is left out of the content hash (see QuestionnaireSpec.content_hash).
    guidance: str = ""


@dataclass(frozen=True)
class CategorySpec:
    key: str
    name: str
    description: str
    kind: str
    weight: str
    questions: tuple[QuestionSpec, ...]


@dataclass(frozen=True)
class QuestionnaireSpec:
    slug: str
    version: int
    title: str
    description: str
    published: bool
    categories: tuple[CategorySpec, ...] = field(default_factory=tuple)

    @property
    def content_hash(self) -> str:
        """The hash of what people answer: guidance is advice and may change in place.

        Leaving ``guidance`` out keeps the hash of a file without guidance what it
        was before guidance existed, so adding guidance to a loaded (even locked)
        version is an in-place update, not a new version.
        """
        content = asdict(self)
        for category in content["categories"]:
            for question in category["questions"]:
                question.pop("guidance", None)
        payload = json.dumps(content, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(payload.encode()).hexdigest()

    @property
    def question_count(self) -> int:
        return sum(len(category.questions) for category in self.categories)


# --- YAML with line numbers ---------------------------------------------------


class _LineDict(dict):
    line: int = 0
    lines: dict


class _LineList(list):
    line: int = 0
    lines: list


class _LineLoader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> _LineDict:
    loader.flatten_mapping(node)
    mapping = _LineDict()
    mapping.line = node.start_mark.line + 1
    mapping.lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str):
            raise yaml.constructor.ConstructorError(
                None, None, f"field names must be text, found {key!r}", key_node.start_mark
            )
        if key in mapping:
            raise yaml.constructor.ConstructorError(
                None, None, f"field {key!r} appears twice", key_node.start_mark
            )
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.lines[key] = value_node.start_mark.line + 1
    return mapping


def _construct_sequence(loader: _LineLoader, node: yaml.SequenceNode) -> _LineList:
    sequence = _LineList(loader.construct_object(child, deep=True) for child in node.value)
    sequence.line = node.start_mark.line + 1
    sequence.lines = [child.start_mark.line + 1 for child in node.value]
    return sequence


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


# --- validation ----------------------------------------------------------------


class _Checker:
    def __init__(self) -> None:
        self.errors: list[str] = []

    def error(self, line: int, path: str, message: str) -> None:
        self.errors.append(f"line {line}: {path}: {message}")

    def unknown_fields(self, data: _LineDict, allowed: set[str], path: str) -> None:
        for name in data:
            if name not in allowed:
                self.error(
                    data.lines[name],
                    f"{path}.{name}" if path else name,
                    f"unknown field (expected one of: {', '.join(sorted(allowed))})",
                )

    def text(self, data: _LineDict, name: str, path: str, *, required: bool, max_length: int):
        where = f"{path}.{name}" if path else name
        line = data.lines.get(name, data.line)
        value = data.get(name)
        if value is None:
            if required:
                self.error(line, where, "is required")
            return ""
        if not isinstance(value, str) or isinstance(value, bool):
            self.error(line, where, f"must be text, found {type(value).__name__}")
            return ""
        value = value.strip()
        if required and not value:
            self.error(line, where, "must not be empty")
        if len(value) > max_length:
            self.error(line, where, f"is {len(value)} characters long; at most {max_length}")
        return value

    def key(self, data: _LineDict, path: str) -> str:
        value = self.text(data, "key", path, required=True, max_length=64)
        if value and not KEY_RE.match(value):
            self.error(
                data.lines.get("key", data.line),
                f"{path}.key" if path else "key",
                f"{value!r} is not a valid key (lowercase letters, digits, single hyphens)",
            )
        return value

    def boolean(self, data: _LineDict, name: str, path: str, default: bool) -> bool:
        value = data.get(name, default)
        if not isinstance(value, bool):
            self.error(data.lines.get(name, data.line), f"{path}.{name}", "must be true or false")
            return default
        return value

    def weight(self, data: _LineDict, path: str) -> str:
        value = data.get("weight", 1)
        line = data.lines.get("weight", data.line)
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            self.error(line, f"{path}.weight", "must be a number")
            return "1"
        try:
            weight = Decimal(str(value))
        except InvalidOperation:
            self.error(line, f"{path}.weight", f"{value!r} is not a number")
            return "1"
        if not weight.is_finite() or weight <= 0 or weight >= 1000:
            self.error(line, f"{path}.weight", "must be greater than 0 and less than 1000")
            return "1"
        if weight != weight.quantize(Decimal("0.01")):
            self.error(line, f"{path}.weight", "may have at most two decimal places")
        return str(weight.quantize(Decimal("0.01")))

    def mapping(self, value: Any, line: int, path: str) -> _LineDict | None:
        if not isinstance(value, _LineDict):
            self.error(line, path, f"must be a mapping of fields, found {_type_name(value)}")
            return None
        return value

    def sequence(self, data: _LineDict, name: str, path: str) -> _LineList | None:
        value = data.get(name)
        where = f"{path}.{name}" if path else name
        line = data.lines.get(name, data.line)
        if value is None:
            self.error(line, where, "is required")
            return None
        if not isinstance(value, _LineList):
            self.error(line, where, f"must be a list, found {_type_name(value)}")
            return None
        if not value:
            self.error(line, where, "must not be empty")
            return None
        return value


def _type_name(value: Any) -> str:
    if isinstance(value, _LineDict):
        return "a mapping"
    if isinstance(value, _LineList):
        return "a list"
    if value is None:
        return "nothing"
    return type(value).__name__


def _items(sequence: _LineList | None) -> list[tuple[Any, int]]:
    if sequence is None:
        return []
    return list(zip(sequence, sequence.lines, strict=True))


def _parse_question(
    check: _Checker, raw: Any, line: int, path: str, category_kind: str
) -> QuestionSpec | None:
    data = check.mapping(raw, line, path)
    if data is None:
        return None
    check.unknown_fields(data, QUESTION_FIELDS, path)
    key = check.key(data, path)
    kind = data.get("kind")
    if kind not in QUESTION_KINDS:
        check.error(
            data.lines.get("kind", data.line),
            f"{path}.kind",
            f"must be one of {', '.join(QUESTION_KINDS)}, found {kind!r}",
        )
        kind = None
    text = check.text(data, "text", path, required=True, max_length=1000)
    help_text = check.text(data, "help", path, required=False, max_length=2000)
    guidance = check.text(data, "guidance", path, required=False, max_length=2000)
    weight = check.weight(data, path)
    required = check.boolean(
        data, "required", path, default=KINDS[kind].required_by_default if kind else True
    )
    metric = data.get("metric", "") or ""
    if metric and metric not in METRICS:
        check.error(
            data.lines.get("metric", data.line),
            f"{path}.metric",
            f"must be one of {', '.join(METRICS)}, found {metric!r}",
        )
        metric = ""
    if metric and category_kind != "delivery":
        check.error(
            data.lines["metric"], f"{path}.metric", "DORA metrics belong in a delivery category"
        )
    if metric and kind is not None and metric not in KINDS[kind].metrics:
        check.error(
            data.lines["metric"],
            f"{path}.metric",
            f"{metric} needs kind: {kind_for_metric(metric)}",
        )

    # The kind's own fields (levels, choices, ...) and their parsing come from its
    # entry in the kinds table.
    entry = KINDS.get(kind) if kind else None
    allowed = entry.file_fields if entry else frozenset()
    for name in KIND_FIELDS:
        if name in data and name not in allowed:
            owners = " or ".join(k for k, e in KINDS.items() if name in e.file_fields)
            check.error(data.lines[name], f"{path}.{name}", f"only {owners} questions have {name}")
    choices = entry.parse(check, data, path, metric) if entry else ()
    if kind is None or not key:
        return None
    return QuestionSpec(
        key=key,
        kind=kind,
        text=text,
        help_text=help_text,
        weight=weight,
        required=required,
        metric=metric,
        choices=choices,
        guidance=guidance,
    )


def parse_questionnaire(text: str, source: str = "") -> QuestionnaireSpec:
    """Parse YAML text into a spec, or raise QuestionnaireFileError naming every problem."""
    try:
        raw = yaml.load(text, Loader=_LineLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        raise QuestionnaireFileError(
            [f"line {line}: not valid YAML: {exc.problem or exc.context}"], source
        ) from None
    except yaml.YAMLError as exc:
        raise QuestionnaireFileError([f"not valid YAML: {exc}"], source) from None

    check = _Checker()
    top = check.mapping(raw, 1, "(top level)")
    if top is None:
        raise QuestionnaireFileError(check.errors, source)
    check.unknown_fields(top, TOP_FIELDS, "")
    slug = check.text(top, "slug", "", required=True, max_length=64)
    if slug and not KEY_RE.match(slug):
        check.error(top.lines.get("slug", 1), "slug", f"{slug!r} is not a valid slug")
    version = top.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        check.error(top.lines.get("version", 1), "version", "must be a whole number of 1 or more")
        version = 0
    title = check.text(top, "title", "", required=True, max_length=200)
    description = check.text(top, "description", "", required=False, max_length=5000)
    published = top.get("published", True)
    if not isinstance(published, bool):
        check.error(top.lines.get("published", 1), "published", "must be true or false")
        published = False

    categories: list[CategorySpec] = []
    category_keys: dict[str, int] = {}
    question_keys: dict[str, int] = {}
    metrics_seen: dict[str, int] = {}
    raw_categories = check.sequence(top, "categories", "")
    for c_index, (raw_category, c_line) in enumerate(_items(raw_categories)):
        c_path = f"categories[{c_index}]"
        data = check.mapping(raw_category, c_line, c_path)
        if data is None:
            continue
        check.unknown_fields(data, CATEGORY_FIELDS, c_path)
        key = check.key(data, c_path)
        if key in category_keys:
            check.error(
                data.lines["key"],
                f"{c_path}.key",
                f"{key!r} is already used by the category on line {category_keys[key]}",
            )
        category_keys.setdefault(key, data.lines.get("key", c_line))
        kind = data.get("kind", "practice")
        if kind not in CATEGORY_KINDS:
            check.error(
                data.lines.get("kind", c_line),
                f"{c_path}.kind",
                f"must be one of {', '.join(CATEGORY_KINDS)}, found {kind!r}",
            )
            kind = "practice"
        name = check.text(data, "name", c_path, required=True, max_length=120)
        c_description = check.text(data, "description", c_path, required=False, max_length=2000)
        weight = check.weight(data, c_path)
        questions = []
        raw_questions = check.sequence(data, "questions", c_path)
        for q_index, (raw_question, q_line) in enumerate(_items(raw_questions)):
            q_path = f"{c_path}.questions[{q_index}]"
            question = _parse_question(check, raw_question, q_line, q_path, kind)
            if question is None:
                continue
            key_line = raw_question.lines.get("key", q_line)
            if question.key in question_keys:
                check.error(
                    key_line,
                    f"{q_path}.key",
                    f"{question.key!r} is already used by the question on line "
                    f"{question_keys[question.key]}; keys must be unique in the file",
                )
            question_keys.setdefault(question.key, key_line)
            if question.metric:
                if question.metric in metrics_seen:
                    check.error(
                        key_line,
                        f"{q_path}.metric",
                        f"{question.metric} is already asked on line "
                        f"{metrics_seen[question.metric]}",
                    )
                metrics_seen.setdefault(question.metric, key_line)
            questions.append(question)
        categories.append(
            CategorySpec(
                key=key,
                name=name,
                description=c_description,
                kind=kind,
                weight=weight,
                questions=tuple(questions),
            )
        )

    if check.errors:
        raise QuestionnaireFileError(check.errors, source)
    return QuestionnaireSpec(
        slug=slug,
        version=version,
        title=title,
        description=description,
        published=published,
        categories=tuple(categories),
    )


def read_questionnaire_file(path: str | Path) -> QuestionnaireSpec:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise QuestionnaireFileError(["file not found"], str(path)) from None
    except UnicodeDecodeError as exc:
        raise QuestionnaireFileError([f"not UTF-8 text ({exc.reason})"], str(path)) from None
    except OSError as exc:
        raise QuestionnaireFileError([f"cannot read the file: {exc.strerror}"], str(path)) from None
    return parse_questionnaire(text, source=str(path))
