"""Canonical fields of each table kind and the header names hospitals use for them."""

from __future__ import annotations

import functools
import re
from dataclasses import field

from auditor.lean_dataclass import dataclass

_NON_ALNUM = re.compile(r"[^A-Z0-9#]+")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


@functools.lru_cache(maxsize=65536)
def norm_header(text: str | None) -> str:
    """Upper-case a header and collapse punctuation, line breaks and spaces to single spaces."""
    if text is None:
        return ""
    # 'TotalCases', 'ChargeCode', 'CPTCode' are two words each.
    text = _CAMEL.sub(" ", str(text))
    out = _NON_ALNUM.sub(" ", text.upper().replace("#", " NUMBER ")).strip()
    return re.sub(r"\s+", " ", out)


@dataclass(frozen=True)
class FieldSpec:
    """One canonical field: exact header aliases, whole-word hints, and words that rule a header out."""

    name: str
    label: str
    aliases: tuple[str, ...]
    hints: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    multi: bool = False
    prefer: tuple[str, ...] = ()
    # Header words that make a column of the right shape something else (an AWP or cost column is money too).
    extra_veto: tuple[str, ...] = ()
    # Header words that make the field a weaker match (a discounted price is a price, second to the gross).
    demote: tuple[str, ...] = ()

    # Word sets and space-padded hints, made once: field_score asks them of every header cell it reads.
    @functools.cached_property
    def exclude_words(self) -> frozenset[str]:
        """`exclude` as a set."""
        return frozenset(self.exclude)

    @functools.cached_property
    def prefer_words(self) -> frozenset[str]:
        """`prefer` as a set."""
        return frozenset(self.prefer)

    @functools.cached_property
    def demote_words(self) -> frozenset[str]:
        """`demote` as a set."""
        return frozenset(self.demote)

    @functools.cached_property
    def padded_hints(self) -> tuple[str, ...]:
        """Each hint with a space either side, to find it as whole words in a space-padded header."""
        return tuple(f" {h} " for h in self.hints)

    def __hash__(self) -> int:
        """The name's hash: header scores are cached per (header, spec), and hashing every alias tuple on each
        look-up cost a 2,000-column sheet a second (specs of two table kinds sharing a name differ by eq)."""
        return hash(self.name)


@dataclass(frozen=True)
class TableKind:
    """A kind of table (chargemaster, pairing table, claim lines) and its fields."""

    name: str
    fields: tuple[FieldSpec, ...]
    # At least one of these must be mapped for a row of cells to count as this table's header.
    anchors: tuple[str, ...]
    extra: dict = field(default_factory=dict)

    @functools.cached_property
    def vocabulary(self) -> frozenset[str]:
        """Every word of every alias and hint: a header sharing none of them names no field of this kind."""
        return frozenset(w for f in self.fields for text in (*f.aliases, *f.hints) for w in text.split())

    def __hash__(self) -> int:
        """The name's hash (the generated one would hash `extra`, a dict): header scores are cached per kind."""
        return hash(self.name)

    def spec(self, name: str) -> FieldSpec:
        """The field spec called `name`."""
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    @property
    def names(self) -> tuple[str, ...]:
        """Field names in display order."""
        return tuple(f.name for f in self.fields)


# Amounts that are not a price at all.
_PRICE_EXCLUDE = (
    "PERCENT",
    "PERCENTAGE",
    "ALGORITHM",
    "PERCENTILE",
    "MEDIAN",
    "COUNT",
    "TOTAL",
    "DIFFERENCE",
    "CHANGE",
    "INCREASE",
    "DECREASE",
    "VARIANCE",
    "COST",
    "AWP",
    "NAME",
    "GROUP",
    "METHODOLOGY",
    "CASES",
    "VISITS",
    "VISIT",
    "INCREMENT",
    "RANK",
    "CATEGORY",
    "CLASS",
    "TIER",
    "LEVEL",
    "FLAG",
)
# Prices of another type: the sheet's price when it has no other (a cash-price tab), else second to the gross.
_OTHER_PRICE_TYPES = (
    "DISCOUNT",
    "DISCOUNTED",
    "CASH",
    "SELF",
    "NEGOTIATED",
    "MIN",
    "MAX",
    "MINIMUM",
    "MAXIMUM",
    "AVE",
    "AVG",
    "AVERAGE",
    "ESTIMATED",
    "LAB",
    "PAYER",
)

CHARGEMASTER = TableKind(
    name="chargemaster",
    anchors=("charge_code", "cpt", "hcpcs"),
    # Roles come from content as well as header text; a description beside a price is a table too.
    extra={"by_content": True, "content_anchors": ("description",)},
    fields=(
        FieldSpec(
            "charge_code",
            "charge code",
            (
                "CHARGE CODE",
                "CHARGE CODE NUMBER",
                "CHARGE NUMBER",
                "CHG CODE",
                "CHARGE ID",
                "CDM",
                "CDM CODE",
                "CDM NUMBER",
                "CDM NO",
                "CDM ID",
                "BILL ITEM ID",
                "ITEM ID",
                "ITEM NUMBER",
                "ITEM CODE",
                "PROCEDURE ITEM ID",
                "PX CODE",
                "IVNUM",
                "SERVICE CODE",
                "ID",
                "CHARGE ITEM",
                "SVC CODE",
                "CHARGEMASTER CODE",
                "PROCEDURE ID",
                "FEE CODE",
                "CHARGE ITEM NUMBER",
                "CHARGE CODE ID",
                "CHARGEMASTER NUMBER",
                "BILLING ID",
                "ITEM",
                "CDM ITEM",
                "EAP ID",
                "EAP CODE",
                "CHARGECODE",
                "CHGCODE",
                "CHARGE NO",
                "CHG NO",
                "CHARGE CD",
                "CHG CD",
                "CDM NBR",
                "ITEM NO",
                "ITEM NBR",
                "SUPPLY CODE",
                "SERVICE ID",
                "ACTIVITY CODE",
                "MEDICATION ID",
                "BILL CODE",
                "INTERNAL CODE",
                "HOSPITAL CODE",
                "SERVICE NUMBER",
                "MATERIAL NUMBER",
                "NO",
                "NUMBER",
                "NBR",
                "CHG ID",
                "CHARGE NBR",
                "ITEM CD",
                "PROCEDURE NUMBER",
                "SUPPLY ID",
                "SUPPLY NUMBER",
                "CHARGE MASTER CODE",
                "CHARGE MASTER NUMBER",
            ),
            hints=(
                "CHARGE CODE",
                "CDM",
                "ITEM ID",
                "CHG CODE",
                "CHARGECODE",
                "CHGCODE",
                "ITEM NUMBER",
                "ITEM NO",
                "SUPPLY CODE",
                "SERVICE ID",
                "ACTIVITY CODE",
                "CHARGE NUMBER",
                "CHARGE ID",
                "CHARGE NO",
            ),
            exclude=(
                "DESCRIPTION",
                "DESC",
                "CPT",
                "HCPCS",
                "REVENUE",
                "REV",
                "PRICE",
                "TYPE",
                "MODIFIER",
                "NDC",
                "NAME",
                "MNEMONIC",
                "AMOUNT",
                "AMT",
            ),
        ),
        FieldSpec(
            "description",
            "description",
            (
                "DESCRIPTION",
                "CHARGE DESCRIPTION",
                "LONG DESCRIPTION",
                "PROCEDURE DESCRIPTION",
                "IVDESC",
                "SERVICE DESCRIPTION",
                "ITEM DESCRIPTION",
                "DESC",
                "CHARGE DESC",
                "PROCEDURE NAME",
                "SERVICE NAME",
                "ITEM NAME",
                "SHORT DESCRIPTION",
                "CDM DESCRIPTION",
                "CHARGE NAME",
                "PROCEDURE",
                "SERVICE",
                "CHARGE DESCRIPTION LONG",
                "BILLING DESCRIPTION",
                "DESCRIPTION OF SERVICE",
                "PX DESCRIPTION",
                "CHARGE CODE NAME",
                "PRODUCT NAME",
                "MEDICATION NAME",
                "DRUG NAME",
                "ITEM SERVICE DESCRIPTION",
                "GENERAL DESCRIPTION",
                "DESCR",
                "CHARGE DESCR",
                "SERVICE DESC",
                "ITEM DESC",
                "TEST NAME",
            ),
            hints=("DESCRIPTION", "DESC", "DESCR", "NAME"),
            exclude=(
                "REVENUE",
                "REV",
                "CPT",
                "HCPCS",
                "MODIFIER",
                "DEPARTMENT",
                "DEPT",
                "CATEGORY",
                "FACILITY",
                "HOSPITAL",
                "PAYER",
                "PLAN",
                "GROUP",
                "PROVIDER",
                "OWNER",
                "MNEMONIC",
                "PATIENT",
                "SHORT",
                "FILE",
                "SCHEDULE",
            ),
            prefer=("LONG", "CHARGE"),
        ),
        FieldSpec(
            "revenue_code",
            "revenue code",
            (
                "REVENUE CODE",
                "REV CODE",
                "REVENUE",
                "DEFAULT REV CODE",
                "REV",
                "UB CODE",
                "UB REV CODE",
                "UB 04 REV CODE",
                "UB92 REVENUE CODE",
                "IVREVCD",
                "RC",
                "REVENUE CD",
                "REV CD",
                "UB REVENUE CODE",
                "REVENUE CODE UB 04",
                "DEFAULT REVENUE CODE",
                "REVENUE CENTER CODE",
                "UB04 REV CODE",
                "REVCODE",
                "UB",
                "UB CD",
                "REVENUE CENTER",
                "UB92",
                "UB04",
                "UB 04",
                "UB 92",
                "REVCD",
                "REV CODES",
                "REVENUE CODES",
                "UB REV",
                "REV CTR",
            ),
            hints=("REVENUE", "REV CODE", "UB", "RC", "REVCODE", "UB04", "UB92"),
            exclude=("DESCRIPTION", "DESC", "NAME"),
        ),
        FieldSpec(
            "cpt",
            "CPT/HCPCS code",
            (
                "CPT HCPCS",
                "CPT HCPCS CODE",
                "CPT R HCPCS CODE",
                "CPT HCPCS CODES",
                "HCPCS CPT",
                "HCPCS CPT CODE",
                "CPT 4 HCPCS",
                "CPT 4 HCPCS CODE",
                "BILLING CODE",
                "CPT",
                "CPT 4",
                "CPT CODE",
                "CPT4",
                "CPT 4 CODE",
                "CPT R",
                "IVCPTCD",
                "CPT OR HCPCS",
                "HCPCS CPT 4",
                "PROCEDURE CODE",
                "CODE",
                "CPT HCPC",
                "CPT HCPC CODE",
                "CPT HCPCS CD",
                "CPT CD",
                "CPT4 CODE",
                "CPT R HCPCS",
                "HCPCS CPT 4 CODE",
                "CPTCODE",
                "CPT HCPCS 4",
                "CPT CODES",
                "PROC CODE",
                "PX CPT",
                "CPT HCPCS NUMBER",
            ),
            # The CPT/HCPCS column is often headed 'HCPCS' alone; content tells it from a Level II-only column.
            hints=("CPT", "CPT4", "CPTCODE", "CPT4CODE", "HCPCS", "HCPC"),
            exclude=("DESCRIPTION", "DESC", "MODIFIER", "MOD", "TYPE", "REVENUE"),
        ),
        FieldSpec(
            "hcpcs",
            "HCPCS code",
            ("HCPCS", "HCPCS CODE", "HCPCS LEVEL II", "HCPC", "HCPCS II", "HCPCS CD", "HCPC CODE"),
            hints=("HCPCS",),
            exclude=("DESCRIPTION", "DESC", "MODIFIER", "MOD", "CPT", "TYPE"),
        ),
        FieldSpec(
            "modifiers",
            "modifiers",
            (
                "MODIFIER",
                "MODIFIERS",
                "MOD",
                "DEFAULT MOD",
                "MOD 1",
                "MODIFIER 1",
                "MOD1",
                "MODIFIER 2",
                "MOD 2",
                "MOD2",
                "CPT MODIFIER",
                "HCPCS MODIFIER",
                "MODIFIER 3",
                "MODIFIER 4",
                "DEFAULT MODIFIER",
            ),
            hints=("MODIFIER",),
            exclude=("DESCRIPTION",),
            multi=True,
        ),
        FieldSpec(
            "units",
            "units",
            (
                "UNITS",
                "UNIT",
                "QTY",
                "QUANTITY",
                "BILLING UNITS",
                "UNITS OF SERVICE",
                "DEFAULT UNITS",
                "SERVICE UNITS",
                "BILL UNITS",
                "CHARGE INCREMENT",
                "BILLING INCREMENT",
                "BILL INCREMENT",
                "UNITS PER CHARGE",
                "UNIT OF SERVICE",
                "UOS",
            ),
            hints=("UNITS",),
            exclude=("PRICE", "MEASURE", "MEASUREMENT", "COST", "TYPE"),
        ),
        FieldSpec(
            "price",
            "price",
            (
                "PRICE",
                "UNIT PRICE",
                "CHARGE AMOUNT",
                "AMOUNT",
                "STANDARD PRICE",
                "GROSS CHARGE",
                "STANDARD CHARGE",
                "CHARGES",
                "EFF RATE AMT",
                "RATE AMT",
                "CHARGE AMT",
                "PRICE AMT",
                "GROSS AMOUNT",
                "AMT",
                "STANDARD CHARGE GROSS",
                "IVPRICE1",
                "FEE",
                "CURRENT PRICE",
                "CHARGE",
                "RATE",
                "BASE PRICE",
                "DEFAULT PRICE",
                "OUTPATIENT PRICE",
                "HOSPITAL CHARGE",
                "CHARGE PRICE",
                "GROSS PRICE",
                "CHARGEMASTER PRICE",
                "CDM PRICE",
                "OP PRICE",
                "PRICE 1",
                "UNIT CHARGE",
                "GROSS CHARGES",
            ),
            hints=("PRICE", "CHARGE", "FEE", "AMOUNT", "CHARGES", "RATE", "AMT"),
            exclude=_PRICE_EXCLUDE + ("CODE", "DESCRIPTION", "ID", "NUMBER", "DATE", "TYPE", "CASES"),
            prefer=("OUTPATIENT", "OP", "GROSS", "STANDARD", "CURRENT"),
            demote=_OTHER_PRICE_TYPES,
            extra_veto=(
                "AWP",
                "COST",
                "DIFFERENCE",
                "CHANGE",
                "PERCENT",
                "PERCENTAGE",
                "INCREMENT",
                "VARIANCE",
                "INCREASE",
                "DECREASE",
                "MEDIAN",
                "PERCENTILE",
                "CASES",
                "VISITS",
                "VISIT",
                "TOTAL",
                "COUNT",
                "RANK",
            ),
        ),
        FieldSpec(
            "department",
            "department",
            (
                "DEPARTMENT",
                "DEPT",
                "SERVICE AREA",
                "CATEGORY",
                "COST CENTER",
                "DEPARTMENT NAME",
                "DEPT NAME",
                "GL DEPARTMENT",
                "DEPARTMENT CODE",
                "DEPT CODE",
                "REVENUE DEPARTMENT",
                "DEPARTMENT NUMBER",
                "COST CENTER NAME",
                "DEPT DESC",
                "DEPARTMENT DESCRIPTION",
                "SERVICE LINE",
                "DEPT NO",
            ),
            hints=("DEPARTMENT", "DEPT", "COST CENTER", "SERVICE LINE"),
            exclude=("PRICE",),
        ),
        FieldSpec(
            "status",
            "status",
            (
                "STATUS",
                "ACTIVE",
                "ACTIVE STATUS",
                "ACTIVE FLAG",
                "STATUS CODE",
                "ACTIVE INACTIVE",
                "CHARGE STATUS",
                "ITEM STATUS",
                "INACTIVE FLAG",
            ),
            hints=("STATUS",),
            # An OPPS status indicator (N: packaged) says how Medicare pays a code, not whether the line is live.
            exclude=("DATE", "INDICATOR", "IND", "SI", "OPPS", "APC"),
        ),
        FieldSpec(
            "effective_from",
            "effective from",
            (
                "EFFECTIVE DATE",
                "EFF DATE",
                "START DATE",
                "EFFECTIVE FROM",
                "EFFECTIVE START DATE",
                "ACTIVATION DATE",
                "BEGIN DATE",
                "EFFECTIVE START",
                "EFF FROM",
                "FROM DATE",
            ),
            hints=("EFFECTIVE", "START DATE"),
            exclude=("END", "TO", "EXPIRATION", "TERM", "INACTIVE"),
        ),
        FieldSpec(
            "effective_to",
            "effective to",
            (
                "END DATE",
                "EXPIRATION DATE",
                "TERM DATE",
                "INACTIVE DATE",
                "EFFECTIVE TO",
                "EFFECTIVE END DATE",
                "EXPIRY DATE",
                "EFF TO",
                "TO DATE",
                "EFFECTIVE END",
                "THRU DATE",
                "THROUGH DATE",
            ),
            hints=("END DATE", "EXPIRATION"),
            exclude=(),
        ),
        FieldSpec(
            "narrative",
            "narrative / notes",
            (
                "NARRATIVE",
                "NOTES",
                "NOTE",
                "COMMENT",
                "COMMENTS",
                "REMARKS",
                "ADDITIONAL NOTES",
                "ADDITIONAL GENERIC NOTES",
                "CLAIM NOTE",
                "BILLING NOTE",
                "NARRATIVE DESCRIPTION",
                "NOC NARRATIVE",
                "CLAIM NARRATIVE",
                "ADDITIONAL DESCRIPTION",
            ),
            hints=("NARRATIVE", "NOTES"),
            exclude=("PAYER",),
        ),
        FieldSpec(
            "ndc",
            "NDC",
            ("NDC", "NDC CODE", "NDC NUMBER", "NATIONAL DRUG CODE", "NDC 11"),
            hints=("NDC",),
            exclude=("DESCRIPTION", "UNIT", "QTY", "QUANTITY"),
        ),
        FieldSpec(
            "setting",
            "setting",
            ("SETTING", "SERVICE SETTING", "PATIENT TYPE", "IP OP", "PATIENT CLASS", "INPATIENT OUTPATIENT"),
            hints=("SETTING",),
            exclude=(),
        ),
        FieldSpec(
            "code_type",
            "code type",
            (
                "CODE TYPE",
                "CODE TYPE 1",
                "TYPE OF CODE",
                "CODING SYSTEM",
                "CODE SYSTEM",
                "BILLING CODE TYPE",
                "CODE CATEGORY",
                "CODESET",
                "CODE SET",
            ),
            hints=("CODE TYPE", "TYPE"),
            exclude=("DESCRIPTION", "SERVICE", "PATIENT", "PRICE"),
        ),
    ),
)

PAIRING = TableKind(
    name="pairing",
    # A table may link charge numbers instead of codes ('Procedure CDM' -> 'Device CDM'): the audit looks
    # their codes up in the chargemaster.
    anchors=("procedure_code", "procedure_charge_code"),
    extra={
        "key_fields": ("procedure_code", "linked_code", "procedure_charge_code", "linked_charge_code"),
        "code_fields": ("procedure_code", "linked_code"),
    },
    fields=(
        FieldSpec(
            "procedure_code",
            "procedure code",
            (
                "PROCEDURE CODE",
                "PROCEDURE",
                "PROC CODE",
                "PROCEDURE CPT",
                "PROCEDURE HCPCS",
                "PRIMARY CODE",
                "CPT",
                "CPT CODE",
                "PROCEDURE CPT HCPCS",
                "PARENT CODE",
                "PRIMARY CPT",
                "SOURCE CODE",
                "CPT HCPCS",
            ),
            hints=("PROCEDURE", "PRIMARY", "PARENT"),
            exclude=("DESCRIPTION", "DESC", "NAME", "CHARGE", "LINKED", "DEVICE", "TYPE"),
        ),
        FieldSpec(
            "procedure_description",
            "procedure description",
            (
                "PROCEDURE DESCRIPTION",
                "PROCEDURE DESC",
                "PROCEDURE NAME",
                "PRIMARY DESCRIPTION",
                "DESCRIPTION",
            ),
            hints=("PROCEDURE DESCRIPTION",),
            exclude=("LINKED", "DEVICE"),
        ),
        FieldSpec(
            "linked_code",
            "linked code",
            (
                "LINKED CODE",
                "LINK CODE",
                "DEVICE CODE",
                "COMPANION CODE",
                "SECONDARY CODE",
                "LINKED HCPCS",
                "PAIRED CODE",
                "DEVICE HCPCS",
                "PRODUCT CODE",
                "SUPPLY CODE",
                "CHILD CODE",
                "LINKED CPT HCPCS",
                "REQUIRED CODE",
                "TARGET CODE",
                "IMPLANT CODE",
            ),
            hints=("LINKED", "DEVICE", "COMPANION", "PAIRED", "CHILD", "IMPLANT", "SUPPLY"),
            exclude=("DESCRIPTION", "DESC", "NAME", "TYPE", "CHARGE"),
            # A wide table links a procedure to 'Device 1', 'Device 2' ... on one row: every column is read.
            multi=True,
        ),
        FieldSpec(
            "linked_description",
            "linked description",
            (
                "LINKED DESCRIPTION",
                "DEVICE DESCRIPTION",
                "COMPANION DESCRIPTION",
                "PRODUCT DESCRIPTION",
                "LINKED DESC",
                "CHILD DESCRIPTION",
                "SECONDARY DESCRIPTION",
                "IMPLANT DESCRIPTION",
                "SUPPLY DESCRIPTION",
            ),
            hints=("LINKED DESCRIPTION", "DEVICE DESCRIPTION"),
            exclude=(),
        ),
        FieldSpec(
            "link_type",
            "link type",
            ("LINK TYPE", "TYPE", "RELATIONSHIP", "PAIRING TYPE", "EDIT TYPE"),
            hints=("LINK TYPE",),
            exclude=(),
        ),
        FieldSpec(
            "procedure_charge_code",
            "procedure charge code",
            (
                "PROCEDURE CHARGE CODE",
                "PROC CHARGE CODE",
                "PROCEDURE CDM",
                "PRIMARY CHARGE CODE",
                "CHARGE CODE",
            ),
            hints=("PROCEDURE CHARGE",),
            exclude=(),
        ),
        FieldSpec(
            "linked_charge_code",
            "linked charge code",
            ("LINKED CHARGE CODE", "DEVICE CHARGE CODE", "LINKED CDM", "DEVICE CDM"),
            hints=("LINKED CHARGE", "DEVICE CHARGE", "IMPLANT CHARGE", "SUPPLY CHARGE"),
            exclude=(),
        ),
    ),
)

TABLE_KINDS = {CHARGEMASTER.name: CHARGEMASTER, PAIRING.name: PAIRING}
