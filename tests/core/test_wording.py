"""Issue 10, wording: one spelling, one 提示, 请选择, the footer's ICP line and tap-to-call numbers."""
import re
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parents[2] / "app"


def test_one_spelling_of_zhanghao_throughout():
    offenders = [str(p.relative_to(APP)) for p in APP.rglob("*")
                 if p.suffix in (".py", ".html", ".js", ".css") and "帐" in p.read_text(encoding="utf-8")]
    assert offenders == []


def test_the_registration_tips_read_the_same_on_both_pages(client):
    tips = []
    for url in ("/register", "/register/form"):
        html = client.get(url).text
        assert "不具体" not in html and "和/班组" not in html
        assert "不具有独立法人资格" in html and "小组成员和/或班组成员" in html
        tips.append(re.search(r"<ol[^>]*>\s*<li>注册申报单位主体.*?</ol>", html, re.S).group(0))
    strip = [re.sub(r"<ol[^>]*>", "", t) for t in tips]
    assert strip[0] == strip[1]


def test_every_data_entry_drop_down_starts_with_qingxuanze(app, client, make, auth):
    pages = [client.get("/register/form").text]
    unit = make.unit()
    auth.login(client, unit.user)
    pages += [client.get("/profile").text, client.get("/groups/new").text]
    clerk = app.test_client()
    auth.login(clerk, make.secretariat())
    pages.append(clerk.get("/admin/accounts").text)
    first_option = re.compile(r"<select[^>]*>\s*<option[^>]*>([^<]*)</option>")
    selects = [s for page in pages for s in first_option.findall(page)]
    assert len(selects) >= 6 and set(selects) == {"请选择"}, selects


def test_the_footer_carries_the_icp_line_and_empty_hides_it(app, client):
    html = client.get("/").text
    assert "京ICP证040822号-14" in html and 'href="https://beian.miit.gov.cn/"' in html
    old = app.config["ICP_LICENSE"]
    app.config["ICP_LICENSE"] = ""
    try:
        assert "ICP" not in client.get("/").text
    finally:
        app.config["ICP_LICENSE"] = old


def test_footer_phone_numbers_are_tel_links(client):
    html = client.get("/").text
    footer = html[html.index('<footer'):]
    assert '<a class="tel" href="tel:+861084885418">010-84885418</a>' in footer
    assert '<a class="tel" href="tel:+861084885009">84885009</a>' in footer


@pytest.mark.parametrize("path", ["app/static/css/app.css"])
def test_tel_links_never_break_inside_a_number(path):
    css = (APP.parent / path).read_text(encoding="utf-8")
    assert re.search(r"a\.tel[^{]*\{[^}]*white-space:\s*nowrap", css)
