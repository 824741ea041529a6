// Renders /api/v1/openapi.json as a readable reference: one section per operation.
(async function () {
  const root = document.getElementById("operations");
  const doc = await (await fetch("/api/v1/openapi.json")).json();
  document.getElementById("version").textContent = "v" + doc.info.version;
  document.getElementById("description").textContent = doc.info.description;
  const schemas = doc.components.schemas;
  const resolve = (s) => (s && s.$ref ? schemas[s.$ref.split("/").pop()] : s);
  const el = (tag, attrs, ...children) => {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => (k === "class" ? (node.className = v) : node.setAttribute(k, v)));
    children.flat().forEach((c) => node.append(c instanceof Node ? c : document.createTextNode(String(c))));
    return node;
  };
  const AUTH = { public: "auth: public", user: "auth: user (Bearer)", proxy: "auth: station proxy (Bearer)" };
  root.textContent = "";
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const section = el("section", { class: "op", "data-search": (method + " " + path + " " + op.summary).toLowerCase() },
        el("h2", {}, el("span", { class: "method " + method }, method.toUpperCase()), path,
          el("span", { class: "auth" }, AUTH[op["x-auth"]] || op["x-auth"])),
        el("p", { class: "summary" }, op.summary));
      if (op.parameters && op.parameters.length) {
        section.append(el("table", {}, el("tr", {}, el("th", {}, "参数"), el("th", {}, "位置"), el("th", {}, "必填"), el("th", {}, "说明")),
          op.parameters.map((p) => el("tr", {}, el("td", {}, p.name), el("td", {}, p.in), el("td", {}, p.required ? "是" : "否"),
            el("td", {}, p.description || JSON.stringify(p.schema))))));
      }
      const body = op.requestBody && Object.values(op.requestBody.content)[0].schema;
      if (body) {
        section.append(el("details", {}, el("summary", {}, "请求体"), el("pre", {}, JSON.stringify(resolve(body), null, 1))));
      }
      section.append(el("table", {}, el("tr", {}, el("th", {}, "状态"), el("th", {}, "含义")),
        Object.entries(op.responses).map(([code, r]) => el("tr", {}, el("td", {}, code), el("td", {}, r.description)))));
      root.append(section);
    }
  }
  document.getElementById("filter").addEventListener("input", (e) => {
    const q = e.target.value.trim().toLowerCase();
    root.querySelectorAll("section.op").forEach((s) => (s.hidden = q && !s.dataset.search.includes(q)));
  });
})();
