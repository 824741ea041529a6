"""What a filter asks of each indexed field, as intervals of index keys: the BSON-ordered keys of values
(missing and null alike), equality, $in, ranges, an anchored regex prefix, $and and $or."""

from __future__ import annotations

import re
from datetime import datetime

from bson import ObjectId
from mongomock.filtering import _RE_TYPES

KNOWN_OPERATORS = frozenset("$eq $ne $gt $gte $lt $lte $in $nin $exists $regex $options $elemMatch $size $type $all $not".split())
_REGEX_META = re.compile(r"[.^$*+?{}\[\]\\|()]")


class _Top:
    """Greater than every key: the open upper end of a range."""

    __slots__ = ()

    def __lt__(self, other):
        return False

    def __le__(self, other):
        return other is self

    def __gt__(self, other):
        return other is not self

    def __ge__(self, other):
        return True

    def __eq__(self, other):
        return other is self

    def __hash__(self):
        return 7


TOP = _Top()
OTHER = object()  # a value no key places exactly (array, sub-document, NaN, aware datetime...): always a candidate
NONE_KEY = (5, None)

# ---- keys ----


def scalar_key(value):
    """(BSON type rank, value) for a scalar, as mongomock's sort compares them; OTHER for anything else."""
    t = type(value)
    if t is str:
        return (15, value)
    if value is None:
        return NONE_KEY
    if t is datetime:
        return (45, value) if value.tzinfo is None else OTHER
    if t is int:
        return (10, value)
    if t is bool:
        return (40, value)
    if t is float:
        return (10, value) if value == value else OTHER
    if t is ObjectId:
        return (35, value)
    if isinstance(value, bool):
        return (40, bool(value))
    if isinstance(value, int):
        return (10, value)
    if isinstance(value, float):
        return (10, value) if value == value else OTHER
    if isinstance(value, str):
        return (15, value)
    return OTHER


def field_key(doc, path: list[str]):
    if len(path) == 1 and type(doc) is dict:  # the common case: a top-level field of a stored document
        return scalar_key(doc.get(path[0]))
    value = doc
    for part in path:
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, (list, tuple)):
            return OTHER
        else:
            return NONE_KEY  # under a scalar: matches no equality or range, sorts as missing
    return scalar_key(value)


# ---- what a filter asks of each field: sorted, disjoint, inclusive intervals of keys ----
# An interval is (lo, hi): lo is (rank,) or (rank, value); hi is (rank, TOP) or (rank, value, TOP).


def _merge(intervals: list) -> list:
    intervals = sorted(intervals, key=lambda iv: iv[0])
    out: list = []
    for lo, hi in intervals:
        if out and lo <= out[-1][1]:
            if hi > out[-1][1]:
                out[-1] = (out[-1][0], hi)
        else:
            out.append((lo, hi))
    return out


def _intersect(a: list, b: list) -> list:
    out, i, j = [], 0, 0
    while i < len(a) and j < len(b):
        lo, hi = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if lo <= hi:
            out.append((lo, hi))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


def _all_points(intervals) -> bool:
    return all(len(lo) == 2 and len(hi) == 3 and lo[0] == hi[0] and lo[1] == hi[1] for lo, hi in intervals)


def _equal_keys(value):
    """The keys of every scalar mongomock finds equal to `value` (Python equality: 1 == 1.0 == True)."""
    key = scalar_key(value)
    if key is OTHER:
        if isinstance(value, datetime) and value.tzinfo is not None:
            return []  # stored datetimes are naive: an aware one equals none of them
        return None
    if key[0] == 10 and (value == 0 or value == 1):
        return [key, (40, bool(value))]
    if key[0] == 40:
        return [key, (10, int(value))]
    return [key]


def _points(value):
    keys = _equal_keys(value)
    return None if keys is None else _merge([(k, (*k, TOP)) for k in keys])


def _range(op: str, operand):
    key = scalar_key(operand)
    if key is OTHER:
        return None  # mongomock compares it its own way (or raises): leave it to mongomock
    rank = key[0]
    if rank == 5:
        return [((5,), (5, TOP))]
    if op in ("$gt", "$gte"):
        return [(key, (rank, TOP))]
    return [((rank,), (*key, TOP))]


def _prefix(pattern):
    """`^literal`: strings from the literal up to (not including) its successor."""
    if not isinstance(pattern, str) or not pattern.startswith("^") or len(pattern) < 2:
        return None
    literal = pattern[1:]
    if _REGEX_META.search(literal) or ord(literal[-1]) >= 0x10FFFF:
        return None
    return [((15, literal), (15, literal[:-1] + chr(ord(literal[-1]) + 1)))]


class Unplannable(Exception):
    """A filter this module does not read (mongomock alone decides what it means, errors included)."""


def _condition(value):
    """Intervals the field's key must fall in for `{field: value}` to match a scalar; None when unknown."""
    if isinstance(value, dict):
        if not value or not all(isinstance(k, str) and k.startswith("$") for k in value):
            return None  # equality with a sub-document
        result = None
        for op, operand in value.items():
            if op not in KNOWN_OPERATORS:
                raise Unplannable(op)
            bound = None
            if op == "$eq":
                bound = _points(operand)
            elif op == "$in":
                if not isinstance(operand, (list, tuple)):
                    raise Unplannable(op)
                parts = [_points(x) for x in operand]
                bound = None if any(p is None for p in parts) else _merge([iv for p in parts for iv in p])
            elif op in ("$gt", "$gte", "$lt", "$lte"):
                bound = _range(op, operand)
            elif op == "$regex" and "$options" not in value:
                bound = _prefix(operand)
            elif op == "$exists" and not operand:
                bound = _points(None)  # missing sorts (and is keyed) as null
            elif op in ("$nin", "$all") and not isinstance(operand, (list, tuple)):
                raise Unplannable(op)
            elif op == "$not" and not isinstance(operand, (dict, *_RE_TYPES)):
                raise Unplannable(op)
            elif op == "$elemMatch" and not isinstance(operand, dict):
                raise Unplannable(op)
            if bound is not None:
                result = bound if result is None else _intersect(result, bound)
        return result
    if isinstance(value, _RE_TYPES):
        return None
    return _points(value)


class Analysis:
    """A conjunction: intervals per field, and $or groups (each a list of branch analyses)."""

    __slots__ = ("fields", "ors")

    def __init__(self):
        self.fields: dict[str, list] = {}
        self.ors: list[list[Analysis]] = []


def analyze(spec, into: Analysis | None = None) -> Analysis:
    if not isinstance(spec, dict):
        raise Unplannable("filter")
    out = into if into is not None else Analysis()
    for key, value in spec.items():
        if key == "$comment":
            continue
        if key in ("$and", "$or", "$nor"):
            if not isinstance(value, (list, tuple)) or not value or not all(isinstance(v, dict) for v in value):
                raise Unplannable(key)
            if key == "$and":
                for clause in value:
                    analyze(clause, out)
            elif key == "$or":
                out.ors.append([analyze(clause) for clause in value])
            else:
                for clause in value:
                    analyze(clause)  # only checked: a $nor excludes, it never narrows the candidates
            continue
        if not isinstance(key, str) or key.startswith("$"):
            raise Unplannable(str(key))
        bound = _condition(value)
        if bound is not None:
            out.fields[key] = _intersect(out.fields[key], bound) if key in out.fields else bound
    return out


def field_bound(analysis: Analysis, field: str):
    """The intervals `field` must fall in, $or groups included; None when unbounded."""
    bound = analysis.fields.get(field)
    for group in analysis.ors:
        branches = [field_bound(branch, field) for branch in group]
        if any(b is None for b in branches):
            continue
        union = _merge([iv for b in branches for iv in b])
        bound = union if bound is None else _intersect(bound, union)
    return bound
