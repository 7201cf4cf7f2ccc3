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

TOP_FIELDS = {"slug", "version", "title", "description", "published", "categories", "changes"}
CHANGE_FIELDS = {"key", "note"}
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
    "replaces",
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
    # The key of an earlier version's question this one continues (a split or
    # a reworded question under a new key); empty for none.
    replaces: str = ""
    # Where the question and its `replaces` stand in the file, for messages.
    line: int = 0
    replaces_line: int = 0


@dataclass(frozen=True)
class ChangeNote:
    """One entry of the file's `changes:` section: a question key and a sentence."""

    key: str
    note: str
    line: int = 0


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
    changes: tuple[ChangeNote, ...] = ()

    @property
    def content_hash(self) -> str:
        """sha256 of what people answer. Line numbers do not count, and fields added
        to the format later count only when set, so a file loaded before they
        existed keeps its hash (and its version stays "unchanged"). ``guidance`` is
        advice for planning actions, not part of what was answered: it never counts,
        so adding it to a loaded (even locked) version is an in-place update."""
        data = asdict(self)
        if not data["changes"]:
            del data["changes"]
        for change in data.get("changes", ()):
            del change["line"]
        for category in data["categories"]:
            for question in category["questions"]:
                del question["line"], question["replaces_line"], question["guidance"]
                if not question["replaces"]:
                    del question["replaces"]
        payload = json.dumps(data, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(payload.encode()).hexdigest()

    def questions(self) -> list[QuestionSpec]:
        return [question for category in self.categories for question in category.questions]

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
    def compose_node(self, parent, index):
        # Anchors and aliases (&a, *a) let a small file expand into a huge one
        # ("billion laughs"); a questionnaire has no use for them.
        if self.check_event(yaml.AliasEvent):
            raise yaml.composer.ComposerError(
                None, None, "aliases (*name) are not allowed here", self.peek_event().start_mark
            )
        return super().compose_node(parent, index)


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
    replaces = check.text(data, "replaces", path, required=False, max_length=64)
    if replaces and not KEY_RE.match(replaces):
        check.error(data.lines["replaces"], f"{path}.replaces", f"{replaces!r} is not a valid key")
    if replaces and replaces == key:
        check.error(
            data.lines["replaces"],
            f"{path}.replaces",
            "a question cannot replace itself; a reworded question keeps its key without replaces",
        )
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
        replaces=replaces,
        line=data.lines.get("key", line),
        replaces_line=data.lines.get("replaces", 0),
    )


def _parse_changes(check: _Checker, top: _LineDict) -> tuple[ChangeNote, ...]:
    if "changes" not in top:
        return ()
    notes = []
    for index, (raw, line) in enumerate(_items(check.sequence(top, "changes", ""))):
        path = f"changes[{index}]"
        data = check.mapping(raw, line, path)
        if data is None:
            continue
        check.unknown_fields(data, CHANGE_FIELDS, path)
        key = check.key(data, path)
        note = check.text(data, "note", path, required=True, max_length=500)
        if key and note:
            notes.append(ChangeNote(key=key, note=note, line=data.lines.get("key", line)))
    return tuple(notes)


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

    changes = _parse_changes(check, top)
    for category in categories:
        for question in category.questions:
            if question.replaces in question_keys and question.replaces != question.key:
                check.error(
                    question.replaces_line,
                    f"question {question.key}.replaces",
                    f"{question.replaces!r} is still a question of this file (line "
                    f"{question_keys[question.replaces]}); a replaced question is retired",
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
        changes=changes,
    )


# --- against the earlier versions ----------------------------------------------


@dataclass(frozen=True)
class KeyHistory:
    """What the latest earlier version that asked a key said about it."""

    kind: str
    scoring: str
    metric: str
    replaces: str
    version: int


def check_history(
    spec: QuestionnaireSpec,
    history: dict[str, KeyHistory],
    previous_keys: set[str],
    source: str = "",
) -> None:
    """Raise QuestionnaireFileError if the file breaks the rules across versions.

    ``history``: every key asked by an earlier version of the same questionnaire
    (the latest such version wins); ``previous_keys``: the keys of the version
    just before. A key keeps its kind; ``replaces`` names an earlier question
    that measured the same thing, without a cycle; ``changes`` names questions of
    this file or of the version before.
    """
    check = _Checker()
    for question in spec.questions():
        where = f"question {question.key}"
        earlier = history.get(question.key)
        if earlier is not None and earlier.kind != question.kind:
            check.error(
                question.line,
                f"{where}.kind",
                f"{question.key!r} was a {earlier.kind} question in version {earlier.version}; "
                f"a key keeps its kind and meaning, so use a new key with "
                f"replaces: {question.key}",
            )
        if not question.replaces:
            continue
        target = history.get(question.replaces)
        if target is None:
            check.error(
                question.replaces_line,
                f"{where}.replaces",
                f"no earlier version of {spec.slug} has a question {question.replaces!r}",
            )
            continue
        scoring = KINDS[question.kind].scoring
        if (target.scoring, target.metric) != (scoring, question.metric):
            check.error(
                question.replaces_line,
                f"{where}.replaces",
                f"{question.replaces!r} ({target.kind}) and {question.key!r} "
                f"({question.kind}) are not scored alike, so one cannot continue the "
                f"other's trend",
            )
        chain, key = [question.key, question.replaces], question.replaces
        while history.get(key) is not None and history[key].replaces:
            key = history[key].replaces
            chain.append(key)
            if key == question.key or len(chain) > len(history) + 1:
                check.error(
                    question.replaces_line,
                    f"{where}.replaces",
                    f"makes a cycle: {' \u2192 '.join(chain)}",
                )
                break
    asked = {question.key for question in spec.questions()}
    for change in spec.changes:
        if change.key not in asked and change.key not in previous_keys:
            check.error(
                change.line,
                "changes.key",
                f"{change.key!r} is neither a question of this file nor of the version before",
            )
    if check.errors:
        raise QuestionnaireFileError(check.errors, source)


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
