"""The units' 评审结果 blueprint `results` (url prefix /results): results, certificates, 证书信息更正.

It lives in app/review because the declarations area must not import review. The pages are in
unit_views.py (certificates, corrections) and unit_results_views.py (评审结果), imported by the factory.
"""
from flask import Blueprint

results_bp = Blueprint("results", __name__)
