// The coupon generator page: every call goes to the JSON API with the bearer token typed into the page.
"use strict";

const texts = JSON.parse(document.getElementById("texts").textContent);
const lang = document.documentElement.lang;
const $ = (id) => document.getElementById(id);

function text(key, values) {
  let result = texts[key] || key;
  for (const [name, value] of Object.entries(values || {})) {
    result = result.split("{" + name + "}").join(String(value));
  }
  return result;
}

class ApiFailure extends Error {
  constructor(status, body) {
    super((body && body.message) || String(status));
    this.status = status;
    this.body = body || {};
  }
}

function token() {
  return $("token").value.trim();
}

function withLang(path) {
  return path + (path.includes("?") ? "&" : "?") + "lang=" + encodeURIComponent(lang);
}

async function api(method, path, body) {
  if (!token()) {
    throw new ApiFailure(0, { message: text("page-need-token"), errors: [{ field: "token", reason: text("page-need-token") }] });
  }
  const init = { method, headers: { Authorization: "Bearer " + token(), Accept: "application/json" } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(withLang(path), init);
  } catch (error) {
    throw new ApiFailure(0, { message: text("page-network-error", { reason: error.message }) });
  }
  const type = response.headers.get("Content-Type") || "";
  const payload = type.includes("json") ? await response.json() : await response.blob();
  if (!response.ok) {
    throw new ApiFailure(response.status, type.includes("json") ? payload : { message: String(response.status) });
  }
  return payload;
}

function clearErrors() {
  $("errors").hidden = true;
  $("error-message").textContent = "";
  $("error-list").replaceChildren();
  for (const input of document.querySelectorAll("[aria-invalid]")) {
    input.removeAttribute("aria-invalid");
  }
}

function showError(failure) {
  clearErrors();
  const body = failure instanceof ApiFailure ? failure.body : { message: String(failure) };
  $("error-message").textContent = body.message || "";
  for (const error of body.errors || []) {
    const item = document.createElement("li");
    const input = $(error.field);
    if (input) {
      input.setAttribute("aria-invalid", "true");
      const link = document.createElement("a");
      link.href = "#" + error.field;
      link.textContent = error.field;
      link.addEventListener("click", (event) => {
        event.preventDefault();
        input.focus();
      });
      item.append(link, ": " + error.reason);
    } else {
      item.textContent = error.field + ": " + error.reason;
    }
    $("error-list").append(item);
  }
  $("errors").hidden = false;
  $("errors").focus();
}

function numberOrText(value) {
  const trimmed = value.trim();
  if (trimmed === "") return undefined;
  return /^\d+$/.test(trimmed) && Number.isSafeInteger(Number(trimmed)) ? Number(trimmed) : trimmed;
}

function templateFields() {
  return {
    template: $("template").value,
    case: $("case").value,
    exclude_lookalikes: $("exclude_lookalikes").checked,
  };
}

function settings() {
  const body = templateFields();
  for (const name of ["count", "discount_id", "max_uses", "user_id"]) {
    const value = numberOrText($(name).value);
    if (value !== undefined) body[name] = value;
  }
  body.type = $("type").value;
  body.active = $("active").checked;
  for (const name of ["active_from", "active_to", "description"]) {
    if ($(name).value.trim() !== "") body[name] = $(name).value;
  }
  return body;
}

let capacityTimer = null;
let capacityAsked = 0;

function scheduleCapacity() {
  clearTimeout(capacityTimer);
  capacityTimer = setTimeout(updateCapacity, 250);
}

async function updateCapacity() {
  const asked = ++capacityAsked;
  const warnings = $("capacity-warnings");
  const show = (line, items) => {
    if (asked !== capacityAsked) return;
    $("capacity-text").textContent = line;
    warnings.replaceChildren(...items.map((item) => {
      const li = document.createElement("li");
      li.textContent = item;
      return li;
    }));
  };
  if ($("template").value === "") return show(text("page-capacity-unknown"), []);
  if (!token()) return show(text("page-need-token"), []);
  const body = templateFields();
  const count = numberOrText($("count").value);
  if (typeof count === "number") body.count = count;
  try {
    const answer = await api("POST", "/capacity", body);
    show(answer.capacity_text, [...(answer.errors || []).map((e) => e.field + ": " + e.reason), ...answer.warnings]);
  } catch (failure) {
    const errors = failure.body.errors || [];
    show(failure.body.message || "", errors.length > 1 ? errors.map((e) => e.field + ": " + e.reason) : []);
  }
}

async function preview() {
  clearErrors();
  try {
    const answer = await api("POST", "/preview", { ...templateFields(), count: 20 });
    $("preview-codes").replaceChildren(...answer.codes.map((code) => {
      const li = document.createElement("li");
      li.textContent = code;
      return li;
    }));
    $("preview-dialog").showModal();
  } catch (failure) {
    showError(failure);
  }
}

function showProgress(report) {
  $("run").hidden = false;
  $("progress").value = report.percent;
  $("percent").textContent = report.percent + " %";
  $("progress-text").textContent = report.progress;
}

function showReport(report) {
  showProgress(report);
  $("report-summary").textContent = report.next_action === "none" && report.status === "completed"
    ? text("page-done", { processed: report.processed })
    : report.status_text;
  const rows = [
    ["page-report-id", report.id],
    ["page-col-template", report.template],
    ["page-col-status", report.status_text],
    ["page-progress", report.progress],
    ["page-report-collisions", report.collisions],
    ["page-report-started", report.started_at || "—"],
    ["page-report-finished", report.finished_at || "—"],
  ];
  if (report.last_error) rows.push(["page-errors", report.last_error]);
  $("report-fields").replaceChildren(...rows.flatMap(([key, value]) => {
    const dt = document.createElement("dt");
    dt.textContent = text(key);
    const dd = document.createElement("dd");
    dd.textContent = String(value);
    return [dt, dd];
  }));
  $("report-warnings").replaceChildren(...report.warnings.map((warning) => {
    const li = document.createElement("li");
    li.textContent = warning;
    return li;
  }));
  $("export-link").href = "/processes/" + report.id + "/export";
  $("export-link").dataset.run = report.id;
  $("report").hidden = false;
  $("report").focus();
}

let busy = false;

async function drive(first) {
  let report = first;
  $("report").hidden = true;
  showProgress(report);
  while (report.next_action === "step") {
    report = await api("POST", "/processes/" + report.id + "/step");
    showProgress(report);
  }
  if (report.next_action === "finish") {
    report = await api("POST", "/processes/" + report.id + "/finish");
  }
  showReport(report);
}

async function run(work) {
  if (busy) return;
  busy = true;
  clearErrors();
  $("generate-button").disabled = true;
  $("generator").setAttribute("aria-busy", "true");
  try {
    await drive(await work());
  } catch (failure) {
    showError(failure);
  } finally {
    busy = false;
    $("generate-button").disabled = false;
    $("generator").removeAttribute("aria-busy");
    loadRuns(false);
  }
}

async function exportCsv(event) {
  event.preventDefault();
  const id = event.currentTarget.dataset.run;
  try {
    const blob = await api("GET", "/processes/" + id + "/export");
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = "coupons-" + id + ".csv";
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 10000);
  } catch (failure) {
    showError(failure);
  }
}

async function loadRuns(loud) {
  if (!token()) return;
  try {
    const runs = await api("GET", "/processes?limit=20");
    const rows = runs.map((report) => {
      const row = document.createElement("tr");
      for (const value of [report.id, report.template, report.status_text, report.progress]) {
        const cell = document.createElement("td");
        cell.textContent = String(value);
        row.append(cell);
      }
      const actions = document.createElement("td");
      if (["running", "failed", "pending"].includes(report.status)) {
        const button = document.createElement("button");
        button.type = "button";
        button.textContent = text("page-resume");
        button.setAttribute("aria-label", text("page-resume") + " " + report.id);
        button.addEventListener("click", () => run(() => api("POST", "/processes/" + report.id + "/resume")));
        actions.append(button);
      }
      if (report.processed > 0) {
        const link = document.createElement("a");
        link.href = "/processes/" + report.id + "/export";
        link.dataset.run = report.id;
        link.textContent = text("page-export");
        link.addEventListener("click", exportCsv);
        actions.append(" ", link);
      }
      row.append(actions);
      return row;
    });
    if (rows.length === 0) {
      const row = document.createElement("tr");
      const cell = document.createElement("td");
      cell.colSpan = 5;
      cell.textContent = text("page-no-runs");
      row.append(cell);
      rows.push(row);
    }
    $("run-rows").replaceChildren(...rows);
  } catch (failure) {
    if (loud) showError(failure);
  }
}

document.addEventListener("DOMContentLoaded", () => {
  $("token").value = sessionStorage.getItem("coupons-token") || "";
  $("token").addEventListener("input", () => {
    sessionStorage.setItem("coupons-token", token());
    scheduleCapacity();
  });
  $("token").addEventListener("change", () => loadRuns(false));
  for (const id of ["template", "count", "case", "exclude_lookalikes"]) {
    $(id).addEventListener("input", scheduleCapacity);
    $(id).addEventListener("change", scheduleCapacity);
  }
  $("preview-button").addEventListener("click", preview);
  $("generator").addEventListener("submit", (event) => {
    event.preventDefault();
    run(() => api("POST", "/processes", settings()));
  });
  $("export-link").addEventListener("click", exportCsv);
  $("refresh-button").addEventListener("click", () => loadRuns(true));
  loadRuns(false);
  scheduleCapacity();
});
