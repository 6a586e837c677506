"""Every page a signed-in owner can open is sound HTML for forms: each field has a label
(a `<label for>`, a wrapping `<label>`, or an `aria-label`), ids are unique, every POST
form carries the CSRF token, and forms are neither nested nor left open. The pages are
the application's own routes, walked as the authorization test walks them."""

from html.parser import HTMLParser

from tests.web.conftest import Web
from tests.web.test_web_authorization import fill, objects, web_routes

UNLABELLED_TYPES = {"hidden", "submit", "button"}
FIELDS = {"input", "select", "textarea"}
# Pages that need a query to show anything: the channel form is made from its kind.
QUERIES = {"/projects/{project_id}/channels/new": "?kind=webhook"}


class FormChecker(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []
        self.ids: list[str] = []
        self.label_for: set[str] = set()
        self.fields: list[tuple[str, str, bool]] = []  # (tag, id, labelled already)
        self.open_labels = 0
        self.form: dict[str, bool] | None = None  # the open form: is it a POST, has a token

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if "id" in attributes:
            self.ids.append(attributes["id"])
        if tag == "label":
            self.open_labels += 1
            if "for" in attributes:
                self.label_for.add(attributes["for"])
        elif tag == "form":
            self.start_form(attributes)
        elif tag in FIELDS:
            self.field(tag, attributes)

    def start_form(self, attributes: dict[str, str]) -> None:
        if self.form is not None:
            self.problems.append(f"a form inside a form ({attributes.get('action')})")
        self.form = {"post": attributes.get("method", "").lower() == "post", "token": False}

    def field(self, tag: str, attributes: dict[str, str]) -> None:
        kind = attributes.get("type", "text") if tag == "input" else tag
        if self.form is not None and attributes.get("name") == "csrf_token":
            self.form["token"] = kind == "hidden" and bool(attributes.get("value"))
        if kind in UNLABELLED_TYPES:
            return
        labelled = self.open_labels > 0 or bool(attributes.get("aria-label"))
        self.fields.append((tag, attributes.get("id", ""), labelled))

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self.open_labels -= 1
        elif tag == "form":
            if self.form is None:
                self.problems.append("a </form> without its <form>")
            elif self.form["post"] and not self.form["token"]:
                self.problems.append("a POST form without its CSRF token")
            self.form = None

    def finish(self) -> list[str]:
        self.close()
        if self.form is not None:
            self.problems.append("a form left open")
        repeated = sorted({i for i in self.ids if self.ids.count(i) > 1})
        if repeated:
            self.problems.append(f"ids used twice: {repeated}")
        for tag, field_id, labelled in self.fields:
            if not labelled and field_id not in self.label_for:
                self.problems.append(f"a <{tag} id={field_id!r}> without a label")
        return self.problems


def problems_of(page: str) -> list[str]:
    checker = FormChecker()
    checker.feed(page)
    return checker.finish()


def test_the_checker_finds_each_kind_of_problem() -> None:
    page = (
        '<form method="post"><input id="a" name="x"><input id="a" aria-label="b">'
        '<form method="get"></form></form><select name="s"></select><form method="post">'
    )
    assert problems_of(page) == [
        "a form inside a form (None)",
        "a </form> without its <form>",
        "a form left open",
        "ids used twice: ['a']",
        "a <input id='a'> without a label",
        "a <select id=''> without a label",
    ]
    good = (
        '<form method="post"><input type="hidden" name="csrf_token" value="t">'
        '<label for="n">Name</label><input id="n"><label><input type="checkbox"> Yes</label>'
        "</form>"
    )
    assert problems_of(good) == []


async def test_every_page_an_owner_opens_has_sound_forms(web: Web) -> None:
    ids = await objects(web, web.project_id)
    owner = await web.signed_in("ops@example.com")
    await owner.post(f"/projects/{web.project_id}/keys/new", name="shown once")
    opened = 0
    for method, route in web_routes(web.app):
        # A confirmation link shows the profile page (opened here as /profile) once its
        # signed token checks out, which no walk can forge.
        if method != "GET" or route.endswith(
            ("/events", "/body", "/schedule-preview", "/profile/verify")
        ):
            continue
        path = fill(route, web.project_id, ids) + QUERIES.get(route, "")
        response = await owner.client.get(path, follow_redirects=True)
        assert response.status_code == 200, path
        assert (path, problems_of(response.text)) == (path, [])
        opened += 1
    assert opened >= 10
    created = await owner.post(f"/projects/{web.project_id}/keys/new", name="k")
    assert problems_of(created.text) == []
