"""The captcha image: drawn at twice its displayed size with solid, dark characters."""
import base64
import io
import re

from PIL import Image


def _image_of(html):
    uri = re.search(r'src="data:image/png;base64,([^"]+)"', html).group(1)
    return Image.open(io.BytesIO(base64.b64decode(uri)))


def test_captcha_image_is_sharp_and_dark_enough_to_read_on_a_phone(client):
    html = client.get("/captcha", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'width="140" height="50"' in html
    image = _image_of(html)
    assert image.size == (280, 100)
    grey = image.convert("L")
    dark = sum(1 for value in grey.tobytes() if value < 110)
    # solid strokes, not the library's luminance-masked pale grey (a few hundred dark pixels of noise)
    assert dark > 1500, dark


def test_change_image_is_a_real_button_and_the_input_suits_phones(client):
    html = client.get("/captcha", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert re.search(r'<button type="button" class="btn btn-secondary captcha-refresh"[^>]*hx-get="/captcha"', html)
    form = client.get("/register/form").get_data(as_text=True)
    captcha_input = re.search(r'<input type="text" id="f-captcha"[^>]*>', form).group(0)
    assert 'autocapitalize="characters"' in captcha_input and 'autocorrect="off"' in captcha_input
    assert 'spellcheck="false"' in captcha_input
