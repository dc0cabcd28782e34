// The live page: one EventSource on /events; 'state' redraws clusters and fault buttons, 'timeline' swaps the
// SVG, 'log' appends a line. Buttons POST to /api/fault/<id> and /api/heal.
'use strict';

const $ = (id) => document.getElementById(id);

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  Object.entries(attrs || {}).forEach(([k, v]) => {
    if (k === 'class') e.className = v; else e.setAttribute(k, v);
  });
  children.flat().forEach((c) => e.append(c instanceof Node ? c : document.createTextNode(String(c))));
  return e;
}

function showLeader(s) {
  const box = $('leader');
  if (s.split) {
    box.textContent = 'SPLIT BRAIN';
    box.className = 'leader none';
  } else if (s.leader) {
    box.textContent = `leader ${s.leader.identity} in ${s.leader.cluster}, token ${s.leader.token}`;
    box.className = 'leader';
  } else {
    box.textContent = 'no leader';
    box.className = 'leader none';
  }
  box.dataset.identity = s.leader ? s.leader.identity : '';
  box.dataset.token = s.leader ? s.leader.token : '';
  const store = s.store;
  const storeText = store.up ? `${store.kind} up` : `${store.kind} DOWN`;
  $('meta').textContent = `lease ${s.lease} · ${s.timings} · lock store ${storeText} · ${s.elapsedSeconds} s`;
}

function health(label, good, text) {
  return el('span', { class: good ? 'ok' : 'bad' }, `${label} ${text}`);
}

function clusterCard(c, s) {
  const ctl = c.controller;
  const leads = s.leader && s.leader.cluster === c.name;
  const rows = c.candidates.map((k) => el('tr', { class: k.state.replace(' ', '-'), 'data-identity': k.identity },
    el('td', {}, k.identity),
    el('td', {}, k.state),
    el('td', {}, k.token !== undefined ? `#${k.token}` : ''),
    el('td', {}, k.globalLeader || '', k.problem ? el('div', { class: 'problem' }, k.problem) : '')));
  const lease = c.lease || {};
  const conds = (lease.conditions || []).map((x) => `${x.type}=${x.status}${x.reason ? ` (${x.reason})` : ''}`);
  return el('div', { class: leads ? 'cluster leads' : 'cluster', id: `cluster-${c.name}` },
    el('h3', {}, c.name),
    el('div', { class: 'health' },
      health('controller', ctl.running, ctl.running ? 'running' : 'down'), ' · ',
      health('API link', ctl.apiLink === 'up', ctl.apiLink), ' · ',
      health('store link', ctl.storeLink === 'up', ctl.storeLink)),
    el('table', {},
      el('tr', {}, el('th', {}, 'candidate'), el('th', {}, 'state'), el('th', {}, 'token'),
        el('th', {}, 'global leader (as it sees it)')),
      rows),
    el('div', { class: 'conds' },
      `status: leader ${lease.leader || '—'}${lease.leaderCluster ? ` in ${lease.leaderCluster}` : ''}`,
      lease.token !== undefined ? `, token ${lease.token}` : '',
      // only the leader's cluster echoes heartbeats; elsewhere the status just names the leader
      lease.echoAgeSeconds !== undefined && lease.leaderCluster === c.name
        ? `, last echo ${lease.echoAgeSeconds} s ago` : '',
      el('br'), conds.join(' · ') || 'no conditions yet'));
}

function showFaults(s) {
  const box = $('faults');
  if (box.childElementCount !== s.faults.length) {
    box.replaceChildren(...s.faults.map((f) => {
      const b = el('button', { id: `fault-${f.id}`, title: f.explanation }, f.label);
      b.addEventListener('click', () => post(`/api/fault/${f.id}`));
      return b;
    }));
  }
  s.faults.forEach((f) => $(`fault-${f.id}`).classList.toggle('active', f.active));
  $('active').textContent = s.activeFaults.length ? `active: ${s.activeFaults.join('; ')}` : '';
}

function showState(s) {
  showLeader(s);
  $('clusters').replaceChildren(...s.clusters.map((c) => clusterCard(c, s)));
  showFaults(s);
}

async function post(path) {
  $('answer').textContent = '…';
  try {
    const r = await fetch(path, { method: 'POST' });
    $('answer').textContent = await r.text();
  } catch (e) {
    $('answer').textContent = `failed: ${e}`;
  }
}

function appendLog(line) {
  const log = $('log');
  log.textContent += `${line}\n`;
  log.scrollTop = log.scrollHeight;
}

$('heal').addEventListener('click', () => post('/api/heal'));

const events = new EventSource('/events');
events.addEventListener('state', (e) => showState(JSON.parse(e.data)));
events.addEventListener('timeline', (e) => {
  $('timeline').innerHTML = JSON.parse(e.data).replace(/^<\?xml[^>]*>\s*/, '');
});
events.addEventListener('log', (e) => appendLog(JSON.parse(e.data)));
events.addEventListener('error', () => {
  $('leader').textContent = 'disconnected; reconnecting…';
  $('leader').className = 'leader none';
});
