"""Reading a rendered page in tests: the dashboards, their chart figures and sections."""

import base64
import json
import re

import numpy as np
from django.urls import reverse


def _plain(value):
    """Figure JSON with plotly's typed arrays ({"dtype", "bdata"}) decoded to lists."""
    if isinstance(value, dict) and "bdata" in value:
        array = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
        if "shape" in value:
            array = array.reshape([int(n) for n in str(value["shape"]).split(",")])
        return [None if isinstance(v, float) and np.isnan(v) else v for v in array.tolist()]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


JSON_BLOCK = re.compile(
    r'<script id="chart-(?P<name>[\w-]+)-data" type="application/json">(?P<json>.*?)</script>',
    re.S,
)


def figures(response) -> dict[str, dict]:
    """Chart name -> its plotly figure, as the page hands it over with json_script."""
    return {
        match["name"]: _plain(json.loads(match["json"]))
        for match in JSON_BLOCK.finditer(response.content.decode())
    }


def traces(figure: dict) -> dict[str, dict]:
    return {trace["name"]: trace for trace in figure["data"]}


def numbers_in(value) -> list[float]:
    """Every number in some (decoded) figure JSON, for leak checks."""
    if isinstance(value, bool):
        return []
    if isinstance(value, int | float):
        return [float(value)]
    if isinstance(value, dict):
        return [n for item in value.values() for n in numbers_in(item)]
    if isinstance(value, list):
        return [n for item in value for n in numbers_in(item)]
    return []


def section(response, heading_id: str) -> str:
    """The HTML of the <section> labelled by this heading."""
    html = response.content.decode()
    start = html.index(f'aria-labelledby="{heading_id}"')
    return html[start : html.index("</section>", start)]


def in_order(html: str, *texts: str) -> list[str]:
    """The given texts sorted by where they first appear in html."""
    return sorted(texts, key=html.index)


def team_page(client, user, team: str, **params):
    client.force_login(user)
    response = client.get(reverse("reports:team_dashboard", args=[team.lower()]), params)
    assert response.status_code == 200
    return response


def org_page(client, user, **params):
    client.force_login(user)
    response = client.get(reverse("reports:org_dashboard"), params)
    assert response.status_code == 200
    return response
