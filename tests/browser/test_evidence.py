"""Evidence in the browser: pick, paste and drop screenshots; see thumbnails; refusals per file."""

from __future__ import annotations

import base64

import pytest
from playwright.sync_api import expect

from attachments.models import Attachment
from tests.attachments.files import png
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("attachment_root")]

# A paste as Chrome delivers a screenshot: one image file called "image.png".
PASTE_SCREENSHOT = """async (base64) => {
  const bytes = Uint8Array.from(atob(base64), c => c.charCodeAt(0));
  const data = new DataTransfer();
  data.items.add(new File([bytes], "image.png", {type: "image/png"}));
  document.querySelector("#step-2-notes").focus();
  document.dispatchEvent(new ClipboardEvent("paste", {clipboardData: data, bubbles: true}));
}"""

DROP_FILE = """async ([selector, name, size]) => {
  const data = new DataTransfer();
  data.items.add(new File([new Uint8Array(size)], name, {type: "application/octet-stream"}));
  const target = document.querySelector(selector);
  for (const type of ["dragenter", "dragover", "drop"]) {
    const init = {dataTransfer: data, bubbles: true, cancelable: true};
    target.dispatchEvent(new DragEvent(type, init));
  }
}"""


def open_record(page, live_server, record) -> None:
    log_in(page, live_server, "alice")
    page.goto(f"{live_server.url}{record.get_absolute_url()}")


def test_an_uploaded_screenshot_shows_its_thumbnail(page, live_server, record, tmp_path):
    screenshot = tmp_path / "cert-install.png"
    screenshot.write_bytes(png((1280, 800)))
    open_record(page, live_server, record)

    page.locator("#ev-step-1").get_by_text("Drop files or paste a screenshot").click()
    page.locator("#ev-file-1").set_input_files(str(screenshot))

    thumbnail = page.locator("#ev-gallery-1 img")
    expect(thumbnail).to_have_attribute("alt", "cert-install.png")
    loaded = "img => img.complete && img.naturalWidth > 0 && img.naturalWidth"
    assert page.wait_for_function(loaded, arg=thumbnail.element_handle()).json_value() == 400
    expect(page.locator("#timeline")).to_contain_text("attached cert-install.png to step 1")
    expect(page.locator("#ev-step-1 .upload-row")).to_have_count(0)
    assert Attachment.objects.get().step_number == 1


def test_a_pasted_screenshot_goes_to_the_step_being_worked_on(page, live_server, record):
    open_record(page, live_server, record)

    page.evaluate(PASTE_SCREENSHOT, base64.b64encode(png()).decode())

    expect(page.locator("#ev-gallery-2 .ev-tile")).to_have_count(1)
    attachment = Attachment.objects.get()
    assert attachment.step_number == 2
    assert attachment.file_name.startswith("screenshot-")
    assert attachment.file_name.endswith(".png")


def test_a_file_too_large_is_refused_without_losing_the_others(page, live_server, record, settings):
    settings.ATTACHMENT_MAX_BYTES = 5000
    open_record(page, live_server, record)

    page.evaluate(DROP_FILE, ["#ev-step-3", "core.dump", 6000])
    page.evaluate(DROP_FILE, ["#ev-step-3", "small.log", 100])

    refused = page.locator("#ev-step-3 .upload-row.is-error")
    expect(refused).to_contain_text("core.dump")
    expect(refused).to_contain_text("too large, the limit is 4.9 KiB")
    expect(page.locator("#ev-gallery-3 .ev-tile")).to_have_count(1)
    expect(page.locator("#ev-gallery-3")).to_contain_text("small.log")
    refused.get_by_role("button").click()
    expect(refused).to_have_count(0)


def test_deleting_a_file_asks_first(page, live_server, record, tmp_path):
    screenshot = tmp_path / "wrong.png"
    screenshot.write_bytes(png())
    open_record(page, live_server, record)
    page.locator("#ev-file-2").set_input_files(str(screenshot))
    tile = page.locator("#ev-gallery-2 .ev-tile")
    expect(tile).to_have_count(1)

    page.once("dialog", lambda dialog: dialog.accept())
    tile.hover()
    tile.get_by_role("button", name="Delete wrong.png").click()

    expect(tile).to_have_count(0)
    expect(page.locator("#timeline")).to_contain_text("deleted wrong.png from step 2")


def test_without_javascript_the_plain_form_uploads(browser, live_server, alice, record, tmp_path):
    context = browser.new_context(
        java_script_enabled=False, viewport={"width": 1440, "height": 900}
    )
    page = context.new_page()
    screenshot = tmp_path / "no-js.png"
    screenshot.write_bytes(png())
    log_in(page, live_server, "alice")
    page.goto(f"{live_server.url}{record.get_absolute_url()}")

    page.get_by_label("Attach files to step 2 (up to 1 GiB each)").set_input_files(str(screenshot))
    page.locator("#ev-step-2").get_by_role("button", name="Upload").click()

    expect(page.locator("#messages")).to_contain_text("Attached no-js.png.")
    expect(page.locator("#ev-gallery-2 .ev-tile")).to_have_count(1)
    context.close()
