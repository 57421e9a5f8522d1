"""What an option changes, in words: the difference of its resolved scenario against the baseline's.

Any dotted-path difference gets a generic sentence built from the schema (label, unit, doc); the
policy levers, bilateral agreements and adjustments get sentences a policymaker can read. The
sentences are plain text: the briefing escapes them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sim.compare import fmt
from sim.declarations import LEVERS as DECLARED_LEVERS
from sim.inputs.schema import SCHEMA, Field, ListOf

IGNORED = ("name", "description", "extends", "seed", "replicates", "engine", "outputs")
"""Top-level keys that do not change what the model does (seed and replicates are shared by
every scenario of a comparison; both engines give identical results)."""

LEVERS = {lever.name: lever.label for lever in DECLARED_LEVERS if not lever.many}
"""Labels of the policy levers, as a sentence names them (declared in `sim.declarations`)."""

Resolver = Callable[[Any], "list[str] | None"]
"""Selector -> ISO3 codes of the countries it picks (None when the world is not known)."""


def flatten(data: Any, prefix: tuple[str, ...] = ()) -> dict[str, Any]:
    """Every leaf of a nested dict/list as `dotted.path -> value` (lists of codes stay leaves)."""
    out: dict[str, Any] = {}
    if isinstance(data, dict):
        for key, value in data.items():
            out.update(flatten(value, (*prefix, str(key))))
    elif isinstance(data, list) and data and all(isinstance(v, dict) for v in data):
        for i, value in enumerate(data):
            out.update(flatten(value, (*prefix, str(i))))
    else:
        out[".".join(prefix)] = data
    return out


def schema_field(path: str) -> Field | None:
    """The schema field at a dotted path (list indices allowed), or None."""
    node: Any = SCHEMA
    for part in path.split("."):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, ListOf) and part.isdigit():
            node = node.item
        else:
            return None
    return node if isinstance(node, Field) else None


# --------------------------------------------------------------------------------------------------
# values in words


def _label(key: str) -> str:
    return key.replace("_", " ")


def _percent(x: Any) -> str:
    return fmt.number(100.0 * float(x), 0 if float(100 * x).is_integer() else 1) + "%"


def _num(x: Any) -> str:
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, int):
        return f"{x:,}" if abs(x) >= 1000 else str(x)
    if isinstance(x, float):
        if x.is_integer() and abs(x) < 1e15:
            return f"{int(x):,}" if abs(x) >= 1000 else str(int(x))
        return f"{x:,.6g}" if abs(x) >= 1000 else f"{x:.6g}"
    return str(x)


def say_value(
    value: Any,
    f: Field | None,
    resolve: Resolver | None = None,
    names: dict[str, str] | None = None,
) -> str:
    """A value with its unit, as a sentence would say it."""
    if value is None:
        return "not set" if f is None or f.kind != "year" else "none"
    if f is None:
        return _num(value) if not isinstance(value, list) else ", ".join(map(str, value))
    if f.kind == "bool":
        return "on" if value else "off"
    if f.kind == "selector":
        return say_selector(value, resolve, names)
    if f.kind == "code":
        return _country(str(value), names)
    if f.kind in ("str", "enum", "path", "year") or f.unit == "year":
        return str(value)
    if f.unit in ("share", "share of wage", "probability") and isinstance(value, (int, float)):
        return _percent(value)
    if f.unit == "int$ PPP":
        return fmt.MONEY_PREFIX + _num(value)
    unit = f" {f.unit}" if f.unit and f.unit not in ("ratio",) else ""
    return _num(value) + unit


def _country(code: str, names: dict[str, str] | None) -> str:
    name = (names or {}).get(code)
    return f"{name} ({code})" if name and name != code else code


def _countries(codes: list[str], names: dict[str, str] | None, limit: int = 6) -> str:
    shown = [_country(c, names) for c in codes[:limit]]
    if len(codes) > limit:
        return ", ".join(shown) + f" and {len(codes) - limit} others"
    if len(shown) > 1:
        return ", ".join(shown[:-1]) + " and " + shown[-1]
    return shown[0] if shown else "no country"


def say_selector(
    selector: Any, resolve: Resolver | None = None, names: dict[str, str] | None = None
) -> str:
    """`the 55 safeguards-list countries`, `Kenya (KEN) and Ghana (GHA)`, `all countries`..."""
    codes = resolve(selector) if resolve is not None else None
    if isinstance(selector, list):
        return _countries([str(c) for c in selector], names)
    n = f" {len(codes)}" if codes is not None and len(codes) != 1 else ""
    c = "country" if codes is not None and len(codes) == 1 else "countries"
    words = {
        "all": f"all{n} {c}",
        "none": "no country",
        "safeguards": f"the{n} safeguards-list {c}",
        "high_income": f"the{n} high-income {c}",
        "low_income": f"the{n} low-income {c}",
        "destinations": f"the{n} destination {c}",
    }
    text = words.get(str(selector), str(selector))
    if codes is not None and 0 < len(codes) <= 3 and selector not in ("all", "none"):
        text += f" ({_countries(codes, names)})"
    return text


def _dated(policy: dict) -> str:
    start, end = policy.get("from"), policy.get("until")
    if start is not None and end is not None:
        return f" from {start} to {end}"
    if start is not None:
        return f" from {start}"
    if end is not None:
        return f" until {end}"
    return ""


def _cadres(choice: str, plural: str = "workers") -> str:
    return plural if choice in (None, "all") else str(choice)


# --------------------------------------------------------------------------------------------------
# levers


def lever_on(
    lever: str, p: dict, option: dict, resolve: Resolver | None, names: dict[str, str] | None
) -> str:
    """The sentence for a lever turned on."""

    def sel(key: str) -> str:
        return say_selector(p.get(key), resolve, names)

    head = f"Turns on {LEVERS.get(lever, _label(lever))}{_dated(p)}"
    if lever == "ethical_recruitment":
        return (
            f"{head}: {sel('destinations')} do not actively recruit from "
            f"{sel('protected')}; passive applicants are accepted at "
            f"{_percent(p.get('passive_rate', 0.0))}."
        )
    if lever == "fee_free_recruitment":
        return (
            f"{head}: employers in {sel('destinations')} pay the recruitment fees, so "
            "migrating health workers pay nothing."
        )
    if lever == "equal_treatment":
        gap = option.get("behaviour", {}).get("migrant_wage_discount")
        gap_text = f" (no {_percent(gap)} pay gap)" if gap else ""
        return (
            f"{head}: migrant health workers in {sel('destinations')} are paid the same as "
            f"native workers{gap_text}."
        )
    if lever == "compensation":
        use = (
            "training more graduates (after the training lag)"
            if p.get("use") == "training"
            else "retention pay"
        )
        return (
            f"{head}: {sel('payers')} pay {fmt.MONEY_PREFIX}{_num(p.get('rate', 0.0))} per worker "
            "recruited "
            f"from {sel('recipients')}, who spend it on {use}."
        )
    if lever == "retention":
        extra = ""
        if p.get("conditions"):
            extra = f", plus better working conditions worth {_num(p['conditions'])} log-wage units"
        return (
            f"{head} in {sel('countries')}: a {_percent(p.get('pay_rise', 0.0))} pay rise "
            f"for {_cadres(p.get('cadres'), 'doctors and nurses')}{extra}."
        )
    if lever == "rural_allowance":
        return (
            f"{head} in {sel('countries')}: rural "
            f"{_cadres(p.get('cadres'), 'doctors and nurses')} are paid "
            f"{_percent(p.get('allowance', 0.0))} more."
        )
    if lever == "bonding":
        where = " in rural areas" if p.get("rural_service") else ""
        return (
            f"{head} in {sel('countries')}: new "
            f"{_cadres(p.get('cadres'), 'doctor and nurse')} graduates owe "
            f"{_num(p.get('years', 0.0))} years of service{where}, or buy the bond out for "
            f"{_num(p.get('buyout', 0.0))} year(s) of wages."
        )
    if lever == "domestic_training":
        return (
            f"{head} in {sel('countries')}: graduate output of "
            f"{_cadres(p.get('cadres'), 'doctors and nurses')} rises by "
            f"{_percent(p.get('expansion', 0.0))} (after the training lag)."
        )
    return head + "."


def _agreement(a: dict, names: dict[str, str] | None) -> str:
    src, dst = _country(a["source"], names), _country(a["destination"], names)
    parts = [f"up to {_num(a.get('quota', 0.0))} {_cadres(a.get('cadre'))}/year recruited first"]
    if a.get("fee_free"):
        parts[0] += ", free of charge to workers"
    if a.get("training_places"):
        parts.append(
            f"{_num(a['training_places'])} extra graduates/year trained in {src}, funded by {dst}"
        )
    if a.get("contract_years"):
        parts.append(
            f"{_num(a['contract_years'])}-year fixed-term contracts, after which "
            f"{_percent(a.get('return_probability', 0.0))} return home"
        )
    cadre = "" if a.get("cadre") in (None, "all") else f" ({a['cadre']})"
    return f"bilateral agreement {src} → {dst}{cadre}{_dated(a)}: " + "; ".join(parts)


def _adjustment(a: dict, resolve: Resolver | None, names: dict[str, str] | None) -> str:
    parts = []
    for key, what in (
        ("demand_multiplier", "funded posts"),
        ("recruitment_multiplier", "international recruitment"),
        ("wage_multiplier", "wages"),
    ):
        x = a.get(key, 1.0)
        if x != 1.0:
            parts.append(
                f"{what} ×{_num(x)}"
                + (" (route closed)" if x == 0 and key == "recruitment_multiplier" else "")
            )
    body = "; ".join(parts) if parts else "no change of parameters"
    return f"adjustment for {say_selector(a.get('countries'), resolve, names)}{_dated(a)}: {body}"


def _items(values: list) -> list[str]:
    return [json.dumps(v, sort_keys=True) for v in values or []]


# --------------------------------------------------------------------------------------------------
# the difference


def describe_changes(
    baseline: dict,
    option: dict,
    resolve: Resolver | None = None,
    names: dict[str, str] | None = None,
) -> list[str]:
    """Sentences saying what `option` changes relative to `baseline` (resolved scenarios)."""
    sentences: list[str] = []
    handled: set[str] = set()

    # Policy levers.
    base_pol, opt_pol = baseline.get("policies", {}), option.get("policies", {})
    # in the order of the option's file, then levers only the baseline sets (not a set: the
    # briefing must not depend on the process's string hashing)
    for lever in [*opt_pol, *(k for k in base_pol if k not in opt_pol)]:
        b, o = base_pol.get(lever), opt_pol.get(lever)
        if not isinstance(o, dict) or not isinstance(b, dict) or "enabled" not in o:
            continue
        handled.add(f"policies.{lever}")
        label = LEVERS.get(lever, _label(lever))
        if o["enabled"] and not b.get("enabled"):
            sentences.append(lever_on(lever, o, option, resolve, names))
        elif b.get("enabled") and not o["enabled"]:
            sentences.append(f"Turns off {label} (on in the baseline).")
        elif o["enabled"]:
            for key in sorted(o.keys() | b.keys()):
                if key != "enabled" and o.get(key) != b.get(key):
                    f = schema_field(f"policies.{lever}.{key}")
                    sentences.append(
                        f"{label[0].upper() + label[1:]}: {_label(key)} "
                        f"{say_value(o.get(key), f, resolve, names)} (baseline "
                        f"{say_value(b.get(key), f, resolve, names)})."
                    )

    # Lists of items: agreements and adjustments.
    for path, what in (("policies.agreements", "agreements"), ("adjustments", "adjustments")):
        head, _, key = path.rpartition(".")
        b_list = (baseline.get(head, {}) if head else baseline).get(key) or []
        o_list = (option.get(head, {}) if head else option).get(key) or []
        handled.add(path)
        b_items, o_items = _items(b_list), _items(o_list)
        for item, text in zip(o_list, o_items, strict=True):
            if text not in b_items:
                body = (
                    _agreement(item, names)
                    if what == "agreements"
                    else _adjustment(item, resolve, names)
                )
                article = "an" if body[0] in "aeiou" else "a"
                sentences.append(f"Adds {article} {body}.")
        for item, text in zip(b_list, b_items, strict=True):
            if text not in o_items:
                body = (
                    _agreement(item, names)
                    if what == "agreements"
                    else _adjustment(item, resolve, names)
                )
                sentences.append(f"Removes the {body.split(':')[0]}.")

    # Everything else, generically.
    b_flat, o_flat = flatten(baseline), flatten(option)
    for path in sorted(b_flat.keys() | o_flat.keys()):
        if path.split(".")[0] in IGNORED or any(
            path == h or path.startswith(h + ".") for h in handled
        ):
            continue
        b, o = b_flat.get(path), o_flat.get(path)
        if b == o:
            continue
        f = schema_field(path)
        parts = path.split(".")
        section = _label(parts[0])
        text = (
            f"{section[0].upper() + section[1:]}: {_label(' '.join(parts[1:])) or path} "
            f"{say_value(o, f, resolve, names)} (baseline {say_value(b, f, resolve, names)})"
        )
        if f is not None and f.doc:
            text += f" [{path}: {f.doc.rstrip('.')}]"
        sentences.append(text + ".")
    return sentences or ["Same model settings as the baseline."]
