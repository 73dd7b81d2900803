// The scan page's findings: drawn from the embedded JSON (auditor/reports/_html_data.py),
// filtered, searched, sorted and grouped by check. Rows are built only for groups that are
// open, a page at a time, so that 100,000 findings stay light. Text goes in through
// textContent only: no finding value is ever parsed as markup.
(function () {
  'use strict';
  var D = JSON.parse(document.getElementById('findings-data').textContent);
  var app = document.getElementById('findings-app');
  var F = {};
  D.fields.forEach(function (name, i) { F[name] = i; });
  var PAGE = 100;
  var rows = D.rows;
  var CHECK_ID = 0, CHECK_TITLE = 1, CHECK_SAFEGUARD = 2, CHECK_SEVERITY = 3;

  function check(r) { return D.checks[r[F.check]]; }
  // filter name -> [label, value of a row, option labels, option order]
  var FILTERS = [
    ['status', 'Status', function (r) { return r[F.status]; }, D.statuses],
    ['severity', 'Severity', function (r) { return check(r)[CHECK_SEVERITY]; }, D.severities],
    ['provider', 'Provider', function (r) { return r[F.provider]; }, D.providers],
    ['account', 'Account', function (r) { return r[F.account]; }, D.accounts],
    ['region', 'Region', function (r) { return r[F.region]; }, D.regions],
    ['safeguard', 'Safeguard', function (r) { return check(r)[CHECK_SAFEGUARD]; }, D.safeguards],
    ['kind', 'Kind', function (r) { return r[F.kind]; }, D.kinds],
    ['check', 'Check', function (r) { return r[F.check]; },
      D.checks.map(function (c) { return c[CHECK_ID]; })]
  ];
  var SORTS = {
    status: function (r) { return r[F.status]; },
    severity: function (r) { return -check(r)[CHECK_SEVERITY]; },
    check: function (r) { return check(r)[CHECK_ID]; },
    provider: function (r) { return D.providers[r[F.provider]]; },
    account: function (r) { return D.accounts[r[F.account]]; },
    region: function (r) { return D.regions[r[F.region]]; },
    resource: function (r) { return r[F.name]; },
    message: function (r) { return D.texts[r[F.message]]; }
  };
  var state = { filters: {}, terms: [], sort: null, dir: 1, grouped: true, open: {}, shown: {} };
  var haystack = null;

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    if (attrs) { Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); }); }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function evidenceText(ev) {
    return ev.map(function (e) { return e.join(' '); }).join(' ');
  }

  function buildHaystack() {
    var cache = {};
    haystack = rows.map(function (r) {
      var ev = cache[r[F.evidence]];
      if (ev === undefined) { ev = cache[r[F.evidence]] = evidenceText(D.evidence[r[F.evidence]]); }
      var c = check(r);
      return [c[CHECK_ID], c[CHECK_TITLE], r[F.name], r[F.id], D.texts[r[F.message]],
        D.providers[r[F.provider]], D.accounts[r[F.account]], D.regions[r[F.region]],
        D.kinds[r[F.kind]], ev]
        .join(' ').toLowerCase();
    });
  }

  function matches() {
    var active = FILTERS.filter(function (f) { return state.filters[f[0]] !== undefined; });
    if (state.terms.length && !haystack) { buildHaystack(); }
    var out = [];
    for (var i = 0; i < rows.length; i++) {
      var r = rows[i], ok = true;
      for (var j = 0; j < active.length && ok; j++) {
        ok = active[j][2](r) === state.filters[active[j][0]];
      }
      for (var k = 0; k < state.terms.length && ok; k++) {
        ok = haystack[i].indexOf(state.terms[k]) !== -1;
      }
      if (ok) { out.push(i); }
    }
    if (state.sort) {
      var key = SORTS[state.sort], dir = state.dir;
      var keys = {};
      out.forEach(function (i) { keys[i] = key(rows[i]); });
      out.sort(function (a, b) {
        var x = keys[a], y = keys[b];
        if (x < y) { return -dir; }
        if (x > y) { return dir; }
        return a - b;
      });
    }
    return out;
  }

  function badge(status) {
    return el('span', { 'class': 'badge ' + status.toLowerCase().replace('_', '-') }, status);
  }

  function evidenceBlock(r) {
    var box = el('div', { 'class': 'evidence' });
    D.evidence[r[F.evidence]].forEach(function (e) {
      var dl = el('dl', { 'class': 'ev-item' });
      [['Fact', e[0], true], ['State', e[1]], ['Value', e[2], true], ['Source', e[3] || 'no API'],
        ['Detail', e[4]]].forEach(function (pair) {
        if (pair[1] === '' && pair[0] === 'Detail') { return; }
        dl.appendChild(el('dt', null, pair[0]));
        var dd = el('dd');
        dd.appendChild(pair[2] ? el('code', null, pair[1]) : document.createTextNode(pair[1]));
        dl.appendChild(dd);
      });
      box.appendChild(dl);
    });
    if (!D.evidence[r[F.evidence]].length) { box.appendChild(el('p', null, 'No evidence recorded.')); }
    [['Remediation', D.texts[r[F.remediation]]], ['Frameworks', D.texts[r[F.frameworks]]],
      ['Muted', r[F.muted] >= 0 ? D.texts[r[F.muted]] : '']].forEach(function (pair) {
      if (!pair[1]) { return; }
      var p = el('p');
      p.appendChild(el('strong', null, pair[0] + ': '));
      p.appendChild(document.createTextNode(pair[1]));
      box.appendChild(p);
    });
    return box;
  }

  function columns() {
    var cols = [['status', 'Status']];
    if (!state.grouped) { cols.push(['severity', 'Severity'], ['check', 'Check']); }
    return cols.concat([['provider', 'Provider'], ['account', 'Account'], ['region', 'Region'],
      ['resource', 'Resource'], ['message', 'Message']]);
  }

  function head(cols) {
    var tr = el('tr');
    cols.forEach(function (c) {
      var th = el('th', { 'scope': 'col', 'data-sort': c[0] });
      var sorted = state.sort === c[0];
      th.setAttribute('aria-sort', sorted ? (state.dir > 0 ? 'ascending' : 'descending') : 'none');
      var button = el('button', { 'type': 'button', 'class': 'sort' },
        c[1] + (sorted ? (state.dir > 0 ? ' \u25B2' : ' \u25BC') : ''));
      button.addEventListener('click', function () {
        state.dir = state.sort === c[0] ? -state.dir : 1;
        state.sort = c[0];
        render();
      });
      th.appendChild(button);
      tr.appendChild(th);
    });
    tr.appendChild(el('th', { 'scope': 'col' }, 'Evidence'));
    var thead = el('thead');
    thead.appendChild(tr);
    return thead;
  }

  function cell(tr, text, extra) {
    var td = el('td', extra ? { 'class': extra } : null);
    if (text !== null) { td.textContent = text; }
    tr.appendChild(td);
    return td;
  }

  function row(tbody, i, cols) {
    var r = rows[i], c = check(r);
    var tr = el('tr', { 'class': 'finding', 'data-status': D.statuses[r[F.status]] });
    cols.forEach(function (col) {
      var k = col[0];
      if (k === 'status') { cell(tr, null).appendChild(badge(D.statuses[r[F.status]])); }
      else if (k === 'severity') { cell(tr, D.severities[c[CHECK_SEVERITY]]); }
      else if (k === 'check') { cell(tr, null).appendChild(el('code', null, c[CHECK_ID])); }
      else if (k === 'provider') { cell(tr, D.providers[r[F.provider]]); }
      else if (k === 'account') { cell(tr, D.accounts[r[F.account]], 'wrap'); }
      else if (k === 'region') { cell(tr, D.regions[r[F.region]]); }
      else if (k === 'resource') {
        var td = cell(tr, null, 'resource');
        td.appendChild(el('span', { 'class': 'name' }, r[F.name]));
        td.appendChild(el('code', { 'class': 'rid' }, r[F.id]));
        td.appendChild(el('span', { 'class': 'kind' }, D.kinds[r[F.kind]]));
      } else { cell(tr, D.texts[r[F.message]], 'msg'); }
    });
    var count = D.evidence[r[F.evidence]].length;
    var button = el('button', { 'type': 'button', 'class': 'ev-toggle', 'aria-expanded': 'false' },
      'Evidence (' + count + ')');
    cell(tr, null).appendChild(button);
    tbody.appendChild(tr);
    button.addEventListener('click', function () {
      var next = tr.nextElementSibling;
      if (next && next.classList.contains('detail')) {
        next.remove();
        button.setAttribute('aria-expanded', 'false');
        return;
      }
      var detail = el('tr', { 'class': 'detail' });
      var td = el('td', { 'colspan': String(cols.length + 1) });
      td.appendChild(evidenceBlock(r));
      detail.appendChild(td);
      tr.after(detail);
      button.setAttribute('aria-expanded', 'true');
    });
  }

  function fillTable(box, list, key) {
    var cols = columns();
    var table = el('table', { 'class': 'findings' });
    table.appendChild(head(cols));
    var tbody = el('tbody');
    var shown = Math.min(list.length, state.shown[key] || PAGE);
    for (var i = 0; i < shown; i++) { row(tbody, list[i], cols); }
    table.appendChild(tbody);
    // a table wider than a narrow window scrolls inside its box, never the whole page
    var scroller = el('div', { 'class': 'scroll' });
    scroller.appendChild(table);
    box.appendChild(scroller);
    if (shown < list.length) {
      var more = el('button', { 'type': 'button', 'class': 'more' },
        'Show ' + Math.min(PAGE, list.length - shown) + ' more (' + (list.length - shown) +
        ' not shown)');
      more.addEventListener('click', function () {
        state.shown[key] = shown + PAGE;
        render();
      });
      box.appendChild(more);
    }
  }

  function statusCounts(list) {
    var counts = D.statuses.map(function () { return 0; });
    list.forEach(function (i) { counts[rows[i][F.status]] += 1; });
    return counts;
  }

  function group(list, ci) {
    var c = D.checks[ci], key = 'c' + ci;
    var box = el('details', { 'class': 'group', 'data-check': c[CHECK_ID] });
    if (state.open[key]) { box.open = true; }
    var summary = el('summary');
    summary.appendChild(el('code', null, c[CHECK_ID]));
    summary.appendChild(el('span', { 'class': 'title' }, c[CHECK_TITLE]));
    summary.appendChild(el('span', { 'class': 'sev sev-' + D.severities[c[CHECK_SEVERITY]] },
      D.severities[c[CHECK_SEVERITY]]));
    summary.appendChild(el('span', { 'class': 'group-count' }, list.length + ' finding(s)'));
    statusCounts(list).forEach(function (n, s) {
      if (n) {
        var chip = badge(D.statuses[s]);
        chip.textContent = D.statuses[s] + ' ' + n;
        summary.appendChild(chip);
      }
    });
    box.appendChild(summary);
    if (box.open) { fillTable(box, list, key); }
    box.addEventListener('toggle', function () {
      state.open[key] = box.open;
      if (box.open && !box.querySelector('table')) { fillTable(box, list, key); }
    });
    return box;
  }

  function render() {
    var list = matches();
    var out = document.getElementById('groups');
    out.textContent = '';
    var count = document.getElementById('match-count');
    count.textContent = list.length + ' of ' + rows.length + ' finding(s) shown';
    count.setAttribute('data-count', String(list.length));
    if (!list.length) { out.appendChild(el('p', null, 'No finding matches.')); return; }
    if (!state.grouped) { fillTable(out, list, 'all'); return; }
    var order = [], byCheck = {};
    list.forEach(function (i) {
      var ci = rows[i][F.check];
      if (!byCheck[ci]) { byCheck[ci] = []; order.push(ci); }
      byCheck[ci].push(i);
    });
    order.forEach(function (ci) { out.appendChild(group(byCheck[ci], ci)); });
  }

  function controls() {
    var form = el('form', { 'id': 'filters', 'class': 'filters' });
    form.addEventListener('submit', function (e) { e.preventDefault(); });
    FILTERS.forEach(function (f) {
      var seen = {};
      rows.forEach(function (r) { seen[f[2](r)] = true; });
      var label = el('label', null, f[1] + ' ');
      var select = el('select', { 'name': f[0], 'id': 'filter-' + f[0] });
      select.appendChild(el('option', { 'value': '' }, 'all'));
      var values = Object.keys(seen).map(Number);
      if (f[0] === 'severity') { values.sort(function (a, b) { return b - a; }); }
      else if (f[0] === 'status') { values.sort(function (a, b) { return a - b; }); }
      else { values.sort(function (a, b) { return f[3][a] < f[3][b] ? -1 : 1; }); }
      values.forEach(function (v) { select.appendChild(el('option', { 'value': String(v) }, f[3][v])); });
      select.addEventListener('change', function () {
        if (select.value === '') { delete state.filters[f[0]]; }
        else { state.filters[f[0]] = Number(select.value); }
        state.shown = {};
        render();
      });
      label.appendChild(select);
      form.appendChild(label);
    });
    var search = el('input', { 'type': 'search', 'id': 'search', 'placeholder': 'search text',
      'aria-label': 'Search the findings' });
    var timer = null;
    search.addEventListener('input', function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        state.terms = search.value.toLowerCase().split(/\s+/).filter(Boolean);
        state.shown = {};
        render();
      }, 120);
    });
    var searchLabel = el('label', null, 'Search ');
    searchLabel.appendChild(search);
    form.appendChild(searchLabel);
    var groupedLabel = el('label');
    var grouped = el('input', { 'type': 'checkbox', 'id': 'group-by-check', 'checked': '' });
    grouped.addEventListener('change', function () { state.grouped = grouped.checked; render(); });
    groupedLabel.appendChild(grouped);
    groupedLabel.appendChild(document.createTextNode(' group by check'));
    form.appendChild(groupedLabel);
    [['expand-all', 'Open all groups', true], ['collapse-all', 'Close all groups', false]]
      .forEach(function (b) {
        var button = el('button', { 'type': 'button', 'id': b[0] }, b[1]);
        button.addEventListener('click', function () {
          D.checks.forEach(function (c, ci) { state.open['c' + ci] = b[2]; });
          render();
        });
        form.appendChild(button);
      });
    return form;
  }

  app.textContent = '';
  app.appendChild(controls());
  app.appendChild(el('p', { 'id': 'match-count', 'role': 'status' }));
  app.appendChild(el('div', { 'id': 'groups' }));
  render();
  document.body.setAttribute('data-ready', 'true');
}());
