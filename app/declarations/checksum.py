"""校验码 (spec A6): the first 8 hex digits of SHA-256 over the canonical JSON of every printed field.

A stamped scan stores the 校验码 of the data it shows; when a printed field changes, the 校验码 changes and the scan
is 需重新上传 until a fresh one is uploaded.
"""
import hashlib
import json

# The fields printed on 附件2 (groups) and 附件3 (teams), besides 申报单位 and 注册编号 (spec A3, A4).
PRINTED_FIELDS = {
    "group": ("title", "group_name", "enterprise_name", "address", "postcode", "contact_department", "contact",
              "mobile", "advisor", "leader", "member_count", "main_contributors", "topic_type",
              "economic_benefit_c", "summary"),
    "team": ("title", "group_name", "enterprise_name", "address", "postcode", "department", "contact", "mobile",
             "landline", "leader", "member_count", "main_contributors", "rate_work_completion_c",
             "rate_satisfaction_c", "rate_pass_c", "rate_quality_assessment_c", "rate_improvement_participation_c",
             "quality_cost_c", "training_attendance", "complaints", "accidents", "summary"),
}


def data_hash(data):
    """校验码 of any JSON-able data: sorted keys, no whitespace, UTF-8."""
    canonical = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:8].upper()


def printed_data(declaration):
    """The printed fields of a declaration, with the unit name and 注册编号 that head the form."""
    filing = declaration.filing
    return printed_values(declaration, declaration.kind, declaration.unit.name,
                          filing.reg_no if filing is not None else "")


def printed_values(values, kind, unit_name, reg_no):
    """The printed fields read from any object with the declaration's columns as attributes (an ORM object
    or a plain row), with the unit name and 注册编号 (empty without a filing) that head the form."""
    data = {name: getattr(values, name) for name in PRINTED_FIELDS[kind]}
    data["unit_name"] = unit_name
    data["reg_no"] = reg_no
    return data


def declaration_hash(declaration):
    """校验码 of what the 申报表 of this declaration prints."""
    return data_hash(printed_data(declaration))
