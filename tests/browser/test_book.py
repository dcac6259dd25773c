"""The website that `make book` builds, opened in headless Chromium.

The book must be built first (`make book`; `make test-browser` builds it); without it these
tests skip, or fail under ``SEGKIT_BROWSER=required``.
"""

import nbformat
import pytest

import course

pytestmark = pytest.mark.browser

NOTEBOOK_PAGE = "01_wrangling"  # a page with figures and a slider panel


def test_index_opens_and_links_every_notebook(book_site, new_page, shot):
    page = new_page()
    page.goto(f"{book_site}/index.html")
    page.wait_for_url("**/00_index.html")
    assert "segkit" in page.title()
    links = set(page.eval_on_selector_all("nav a[href]", "els => els.map(a => a.getAttribute('href'))"))
    missing = [p.stem for p in course.notebook_paths()[1:]
               if not any(href.split("#")[0].endswith(f"{p.stem}.html") for href in links)]
    assert not missing, f"the book's navigation has no page for {missing}"
    shot(page, "book/index", full_page=True)


def test_a_notebook_page_shows_every_figure_of_the_run(book_site, book_source, new_page, shot):
    nb = nbformat.read(book_source / f"{NOTEBOOK_PAGE}.ipynb", as_version=4)
    figures = sum("image/png" in out.get("data", {}) for c in nb.cells if c.cell_type == "code"
                  for out in c.get("outputs", []))
    assert figures, f"the executed {NOTEBOOK_PAGE} has no figures to show"
    page = new_page()
    page.goto(f"{book_site}/{NOTEBOOK_PAGE}.html")
    page.wait_for_load_state("load")
    images = page.eval_on_selector_all(
        ".cell_output img",
        "els => els.map(i => ({src: i.getAttribute('src'), ok: i.complete && i.naturalWidth > 0}))")
    assert len(images) == figures, f"{len(images)} images on the page, {figures} in the run"
    broken = [i["src"] for i in images if not i["ok"]]
    assert not broken, f"figures that do not load: {broken}"
    text = page.inner_text("main")
    assert "Traceback" not in text
    shot(page, f"book/{NOTEBOOK_PAGE}", full_page=True)
