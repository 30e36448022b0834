"""
Browser steps with attached files, written to be reused by other journeys (an organisation's
member commenting on its behalf with a PDF, for one): each takes a Playwright page and does what a
person does on the portal's pages, through labels and roles only.
"""

import re
from pathlib import Path

from playwright.sync_api import expect

ATTACH_LABEL = "Attach files (optional)"


def attach_files(page, paths: list[Path]) -> None:
    """Choose `paths` in the comment form's file input (on the statement page or the comment page)."""
    page.get_by_label(ATTACH_LABEL).set_input_files([str(path) for path in paths])


def comment_with_files(page, statement, text: str, paths: list[Path]) -> str:
    """On the statement page: write `text`, attach `paths`, submit; returns the receipt's tracking number."""
    page.goto(statement.get_absolute_url())
    page.get_by_role("textbox", name="Your comment").fill(text)
    attach_files(page, paths)
    page.get_by_role("button", name="Submit for moderation").click()
    expect(page).to_have_url(re.compile(r"/dialogue/receipt/[\w-]+/$"))
    for path in paths:
        expect(page.get_by_role("link", name=path.name)).to_be_visible()
    return page.locator("#receipt-tracking").inner_text()


def approve_from_queue(page, tracking: str) -> None:
    """A moderator, in the queue: the comment says it has files; open it, check them, approve it."""
    page.goto("/en/moderation/")
    page.get_by_role("link", name=re.compile(r"attached files?: review")).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(tracking)
    page.get_by_role("button", name="Approve and publish").click()
    expect(page.get_by_text(f"Comment {tracking} approved and published.")).to_be_visible()


def download_attachment(page, statement, tracking: str, name: str) -> bytes:
    """On the statement page, download comment `tracking`'s file `name`; returns the bytes received."""
    page.goto(statement.get_absolute_url())
    with page.expect_download() as download:
        page.locator(f"#comment-{tracking}").get_by_role("link", name=name).click()
    return Path(download.value.path()).read_bytes()
