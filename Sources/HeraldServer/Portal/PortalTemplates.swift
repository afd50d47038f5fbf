/// The portal's pages, as mustache templates compiled into the binary (no files to ship, no
/// external assets: the CSS is inline, there is no script, charts are inline SVG).
enum PortalTemplates {
    static let all: [String: String] = [
        "layout": layout, "sign_in": signIn, "enter": enter, "webhooks": webhooks, "webhook_form": webhookForm,
        "webhook": webhook, "delivery": delivery, "message": message,
    ]

    static let layout = """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{title}} · Herald</title>
        <style>
        :root { --fg:#1d2330; --muted:#5d6677; --line:#dde1e8; --ok:#1a7f37; --bad:#c62828; --wait:#8a8f98; --accent:#2457c5; }
        * { box-sizing: border-box; }
        body { margin:0; font:16px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color:var(--fg); background:#f6f7f9; }
        header { background:#fff; border-bottom:1px solid var(--line); padding:.6rem 1rem; display:flex; flex-wrap:wrap; gap:.5rem 1rem; align-items:center; }
        header strong { font-size:1.1rem; }
        header nav { display:flex; gap:1rem; flex:1; }
        header form { margin:0; }
        main { max-width:1100px; margin:0 auto; padding:1rem; }
        a { color:var(--accent); }
        h1 { font-size:1.4rem; margin:.2rem 0 1rem; word-break:break-all; }
        h2 { font-size:1.1rem; margin:1.5rem 0 .5rem; }
        section { background:#fff; border:1px solid var(--line); border-radius:8px; padding:1rem; margin-bottom:1rem; }
        .scroll { overflow-x:auto; }
        table { border-collapse:collapse; width:100%; font-size:.93rem; }
        th, td { text-align:left; padding:.45rem .5rem; border-bottom:1px solid var(--line); vertical-align:top; }
        th { color:var(--muted); font-weight:600; white-space:nowrap; }
        td.url { word-break:break-all; min-width:12rem; }
        label { display:block; font-weight:600; margin:.8rem 0 .25rem; }
        input[type=text], input[type=url], input[type=password], input[type=datetime-local], select, textarea { width:100%; padding:.5rem; border:1px solid #b9c0cc; border-radius:6px; font:inherit; }
        textarea { min-height:4.5rem; font-family:ui-monospace, monospace; font-size:.9rem; }
        .inline label { display:inline; font-weight:normal; margin:0 .8rem 0 .25rem; }
        .events { display:grid; grid-template-columns:repeat(auto-fill, minmax(15rem, 1fr)); gap:.1rem .5rem; }
        .events label { font-weight:normal; margin:0; }
        button { font:inherit; padding:.45rem .9rem; border-radius:6px; border:1px solid var(--accent); background:var(--accent); color:#fff; cursor:pointer; }
        button.plain { background:#fff; color:var(--accent); }
        button.danger { background:#fff; color:var(--bad); border-color:var(--bad); }
        .row { display:flex; flex-wrap:wrap; gap:.5rem; align-items:flex-end; }
        .row > * { flex:1 1 10rem; }
        .row > button, .row > form { flex:0 0 auto; }
        .actions { display:flex; flex-wrap:wrap; gap:.5rem; }
        .actions form { margin:0; }
        .error { color:var(--bad); font-size:.9rem; margin:.2rem 0; }
        .notice { background:#e8f3ec; border:1px solid #a7d3b5; padding:.6rem .8rem; border-radius:6px; margin-bottom:1rem; }
        .alert { background:#fdecea; border:1px solid #f3b4ad; padding:.6rem .8rem; border-radius:6px; margin-bottom:1rem; }
        .muted { color:var(--muted); font-size:.9rem; }
        .badge { display:inline-block; padding:0 .45rem; border-radius:999px; font-size:.82rem; border:1px solid var(--line); white-space:nowrap; }
        .badge.ok, .badge.succeeded, .badge.closed, .badge.active { color:var(--ok); border-color:#a7d3b5; }
        .badge.bad, .badge.failed, .badge.open, .badge.inactive { color:var(--bad); border-color:#f3b4ad; }
        .badge.pending, .badge.in_flight, .badge.half_open { color:#8a5a00; border-color:#e6c98f; }
        code, pre { font-family:ui-monospace, monospace; font-size:.88rem; }
        pre { background:#f1f3f6; padding:.6rem; border-radius:6px; white-space:pre-wrap; word-break:break-all; max-height:18rem; overflow:auto; margin:.3rem 0; }
        .secret { font-size:1rem; background:#fff8e1; border:1px dashed #e0b400; padding:.6rem; word-break:break-all; }
        dl { display:grid; grid-template-columns:max-content 1fr; gap:.3rem 1rem; margin:0; }
        dt { color:var(--muted); } dd { margin:0; word-break:break-all; }
        svg { max-width:100%; height:auto; }
        .legend span { margin-right:1rem; font-size:.85rem; }
        .legend i { display:inline-block; width:.8rem; height:.8rem; margin-right:.3rem; vertical-align:-1px; }
        </style>
        </head>
        <body>
        <header>
        <strong>Herald</strong>
        {{#chrome}}
        <nav><a href="/portal/webhooks">Webhooks</a><a href="/portal/webhooks/new">New webhook</a></nav>
        <span class="muted">{{scope}}</span>
        <form method="post" action="/portal/sign-out"><input type="hidden" name="csrf" value="{{csrf}}"><button class="plain" id="sign-out">Sign out</button></form>
        {{/chrome}}
        </header>
        <main>
        {{{content}}}
        </main>
        </body>
        </html>
        """

    static let signIn = """
        <h1>Sign in to the webhook portal</h1>
        {{#notice}}<p class="notice">{{notice}}</p>{{/notice}}
        {{#error}}<p class="alert">{{error}}</p>{{/error}}
        <section>
        <p>Open the portal link your provider sent you, or sign in with an API key.</p>
        <form method="post" action="/portal/sign-in">
        <input type="hidden" name="csrf" value="{{csrf}}">
        <label for="api_key">API key</label>
        <input type="password" id="api_key" name="api_key" autocomplete="off" required>
        <p><button id="sign-in">Sign in</button></p>
        </form>
        </section>
        """

    static let enter = """
        <h1>Open the webhook portal</h1>
        {{#error}}<p class="alert">{{error}}</p>{{/error}}
        {{^error}}
        <section>
        <p>This link opens once. Continue to start your session.</p>
        <form method="post" action="/portal/enter">
        <input type="hidden" name="csrf" value="{{csrf}}">
        <input type="hidden" name="token" value="{{token}}">
        <button id="enter">Continue</button>
        </form>
        </section>
        {{/error}}
        """

    static let webhooks = """
        <h1>Webhooks</h1>
        {{#notice}}<p class="notice">{{notice}}</p>{{/notice}}
        <section>
        <h2 style="margin-top:0">Deliveries per hour (UTC), last 24 hours</h2>
        {{{chart}}}
        </section>
        <section class="scroll">
        {{#hasWebhooks}}
        <table id="webhooks">
        <thead><tr><th>Callback URL</th><th>Events</th><th>Scope</th><th>Active</th><th>Circuit</th><th>Success, 24 h</th></tr></thead>
        <tbody>
        {{#webhooks}}
        <tr>
        <td class="url"><a href="/portal/webhooks/{{id}}">{{url}}</a></td>
        <td><code>{{mask}}</code></td>
        <td>{{scope}}</td>
        <td><span class="badge {{activeClass}}">{{activeText}}</span></td>
        <td><span class="badge {{circuit}}">{{circuit}}</span></td>
        <td>{{successRate}}</td>
        </tr>
        {{/webhooks}}
        </tbody>
        </table>
        {{/hasWebhooks}}
        {{^hasWebhooks}}<p>No webhooks yet. <a href="/portal/webhooks/new">Create one</a>.</p>{{/hasWebhooks}}
        </section>
        {{#pager}}<p class="actions">{{#previous}}<a href="{{previous}}">← Newer</a>{{/previous}} <span class="muted">{{text}}</span> {{#next}}<a href="{{next}}">Older →</a>{{/next}}</p>{{/pager}}
        """

    static let webhookForm = """
        <h1>{{heading}}</h1>
        {{#errors.base}}<p class="alert">{{.}}</p>{{/errors.base}}
        <section>
        <form method="post" action="{{action}}">
        <input type="hidden" name="csrf" value="{{csrf}}">
        <label for="callback_url">Callback URL</label>
        <input type="text" id="callback_url" name="callback_url" value="{{form.callbackURL}}" required>
        {{#errors.callback_url}}<p class="error">{{.}}</p>{{/errors.callback_url}}
        <label for="property_id">Property</label>
        <select id="property_id" name="property_id">
        {{#properties}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/properties}}
        </select>
        {{#errors.property_id}}<p class="error">{{.}}</p>{{/errors.property_id}}
        {{#errors.is_global}}<p class="error">{{.}}</p>{{/errors.is_global}}
        <label>Events</label>
        <div class="events">
        {{#events}}<label><input type="checkbox" name="events[]" value="{{name}}"{{#checked}} checked{{/checked}}> {{label}}</label>{{/events}}
        </div>
        <label for="event_mask_extra">More of the mask <span class="muted">(optional; e.g. an ARI filter, items separated by ;)</span></label>
        <input type="text" id="event_mask_extra" name="event_mask_extra" value="{{form.maskExtra}}">
        {{#errors.event_mask}}<p class="error">{{.}}</p>{{/errors.event_mask}}
        <label for="headers">Headers <span class="muted">(one a line: Name: value)</span></label>
        <textarea id="headers" name="headers">{{form.headers}}</textarea>
        {{#errors.headers}}<p class="error">{{.}}</p>{{/errors.headers}}
        <label for="request_params">Request params <span class="muted">(one a line: name=value; added to the URL's query)</span></label>
        <textarea id="request_params" name="request_params">{{form.requestParams}}</textarea>
        {{#errors.request_params}}<p class="error">{{.}}</p>{{/errors.request_params}}
        <label for="retry_schedule">Retry schedule <span class="muted">(seconds between tries, comma-separated; empty: the default 1 min … 10 h over 24 h; none: one try)</span></label>
        <input type="text" id="retry_schedule" name="retry_schedule" value="{{form.retrySchedule}}">
        {{#errors.retry_policy}}<p class="error">{{.}}</p>{{/errors.retry_policy}}
        <p class="inline">
        <input type="checkbox" id="is_active" name="is_active" value="true"{{#form.isActive}} checked{{/form.isActive}}><label for="is_active">Active</label>
        <input type="checkbox" id="send_data" name="send_data" value="true"{{#form.sendData}} checked{{/form.sendData}}><label for="send_data">Send the event's data</label>
        <input type="checkbox" id="receives_test_events" name="receives_test_events" value="true"{{#form.receivesTestEvents}} checked{{/form.receivesTestEvents}}><label for="receives_test_events">Receive test events</label>
        </p>
        {{#otherErrors}}<p class="error">{{field}}: {{message}}</p>{{/otherErrors}}
        <p class="actions"><button id="save">{{submit}}</button> <a href="{{cancel}}">Cancel</a></p>
        </form>
        </section>
        """

    static let webhook = """
        <h1>{{webhook.url}}</h1>
        {{#notice}}<p class="notice">{{notice}}</p>{{/notice}}
        {{#alert}}<p class="alert">{{alert}}</p>{{/alert}}
        <section>
        <dl>
        <dt>Events</dt><dd><code>{{webhook.mask}}</code></dd>
        <dt>Scope</dt><dd>{{webhook.scope}}</dd>
        <dt>Active</dt><dd><span class="badge {{webhook.activeClass}}">{{webhook.activeText}}</span> {{#webhook.disabledReason}}<span class="muted">{{webhook.disabledReason}}</span>{{/webhook.disabledReason}}</dd>
        <dt>Circuit</dt><dd><span class="badge {{webhook.circuit}}">{{webhook.circuit}}</span></dd>
        <dt>Success, 24 h</dt><dd>{{webhook.successRate}}</dd>
        <dt>Retry schedule</dt><dd>{{webhook.retry}}</dd>
        {{#webhook.headerNames}}<dt>Headers</dt><dd>{{webhook.headerNames}}</dd>{{/webhook.headerNames}}
        <dt>Created</dt><dd>{{webhook.createdAt}}</dd>
        </dl>
        {{#canModify}}
        <div class="actions" style="margin-top:1rem">
        <a href="/portal/webhooks/{{webhook.id}}/edit"><button class="plain" type="button" id="edit">Edit</button></a>
        <form method="post" action="/portal/webhooks/{{webhook.id}}/toggle"><input type="hidden" name="csrf" value="{{csrf}}"><button class="plain" id="toggle">{{toggleText}}</button></form>
        <form method="post" action="/portal/webhooks/{{webhook.id}}/test"><input type="hidden" name="csrf" value="{{csrf}}"><button id="send-test">Send a test event</button></form>
        <form method="post" action="/portal/webhooks/{{webhook.id}}/delete"><input type="hidden" name="csrf" value="{{csrf}}"><button class="danger" id="delete">Delete</button></form>
        </div>
        {{/canModify}}
        {{^canModify}}<p class="muted">{{readOnlyReason}}</p>{{/canModify}}
        </section>
        {{#test}}
        <section id="test-result">
        <h2 style="margin-top:0">Test event</h2>
        <dl>
        <dt>Status</dt><dd><span class="badge {{statusClass}}">{{status}}</span></dd>
        <dt>Time</dt><dd>{{duration}} ms</dd>
        {{#error}}<dt>Error</dt><dd>{{error}}</dd>{{/error}}
        </dl>
        <label>Response body</label><pre>{{body}}</pre>
        </section>
        {{/test}}
        {{#canModify}}
        <section>
        <h2 style="margin-top:0">Signing secret</h2>
        {{#secret}}<p class="secret" id="secret">{{secret}}</p><p class="muted">Shown once: copy it now. {{#secretNote}}{{secretNote}}{{/secretNote}}</p>{{/secret}}
        <div class="actions">
        <form method="post" action="/portal/webhooks/{{webhook.id}}/secret"><input type="hidden" name="csrf" value="{{csrf}}"><button class="plain" id="reveal-secret">Reveal</button></form>
        <form method="post" action="/portal/webhooks/{{webhook.id}}/secret/rotate"><input type="hidden" name="csrf" value="{{csrf}}"><button class="plain" id="rotate-secret">Rotate</button></form>
        </div>
        <p class="muted">After a rotation the old secret keeps signing beside the new one for {{graceText}}.</p>
        </section>
        {{/canModify}}
        <section>
        <h2 style="margin-top:0">Deliveries per hour (UTC), last 24 hours</h2>
        {{{chart}}}
        </section>
        <section>
        <h2 style="margin-top:0">Delivery log</h2>
        <form method="get" action="/portal/webhooks/{{webhook.id}}" class="row" id="filters">
        <div><label for="status">Status</label><select id="status" name="status">{{#statuses}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/statuses}}</select></div>
        <div><label for="event">Event</label><select id="event" name="event">{{#eventFilters}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/eventFilters}}</select></div>
        <div><label for="since">From (UTC)</label><input type="datetime-local" id="since" name="since" value="{{filters.since}}"></div>
        <div><label for="until">To (UTC)</label><input type="datetime-local" id="until" name="until" value="{{filters.until}}"></div>
        <button class="plain" id="filter">Filter</button>
        </form>
        {{#filterErrors}}<p class="error">{{.}}</p>{{/filterErrors}}
        <div class="scroll">
        <table id="deliveries">
        <thead><tr><th>Made</th><th>Event</th><th>Status</th><th>Tries</th><th>Last answer</th><th></th></tr></thead>
        <tbody>
        {{#deliveries}}
        <tr>
        <td>{{createdAt}}</td><td>{{event}}</td><td><span class="badge {{status}}">{{status}}</span></td><td>{{attempts}}</td><td>{{lastAnswer}}</td>
        <td><a href="/portal/deliveries/{{id}}">Attempts</a></td>
        </tr>
        {{/deliveries}}
        {{^deliveries}}<tr><td colspan="6" class="muted">No deliveries match.</td></tr>{{/deliveries}}
        </tbody>
        </table>
        </div>
        {{#pager}}<p class="actions">{{#previous}}<a href="{{previous}}">← Newer</a>{{/previous}} <span class="muted">{{text}}</span> {{#next}}<a href="{{next}}">Older →</a>{{/next}}</p>{{/pager}}
        {{#canModify}}
        <h2>Recover failed deliveries</h2>
        <form method="post" action="/portal/webhooks/{{webhook.id}}/recover" class="row" id="recover">
        <input type="hidden" name="csrf" value="{{csrf}}">
        <div><label for="recover_since">Made from (UTC)</label><input type="datetime-local" id="recover_since" name="since" value="{{recover.since}}" required></div>
        <div><label for="recover_until">To (UTC; empty: now)</label><input type="datetime-local" id="recover_until" name="until" value="{{recover.until}}"></div>
        <button class="plain" id="recover-button">Send again</button>
        </form>
        {{#recoverErrors}}<p class="error">{{.}}</p>{{/recoverErrors}}
        {{/canModify}}
        </section>
        """

    static let delivery = """
        <h1>Delivery {{delivery.id}}</h1>
        {{#notice}}<p class="notice">{{notice}}</p>{{/notice}}
        {{#alert}}<p class="alert">{{alert}}</p>{{/alert}}
        <section>
        <dl>
        <dt>Webhook</dt><dd><a href="/portal/webhooks/{{webhookId}}">{{webhookURL}}</a></dd>
        <dt>Event</dt><dd>{{delivery.event}}</dd>
        <dt>Status</dt><dd><span class="badge {{delivery.status}}">{{delivery.status}}</span></dd>
        <dt>Made</dt><dd>{{delivery.createdAt}}</dd>
        {{#nextAttempt}}<dt>Next try</dt><dd>{{nextAttempt}}</dd>{{/nextAttempt}}
        </dl>
        {{#canModify}}
        <form method="post" action="/portal/deliveries/{{delivery.id}}/redeliver" style="margin-top:1rem"><input type="hidden" name="csrf" value="{{csrf}}"><button id="redeliver">Redeliver</button></form>
        {{/canModify}}
        </section>
        <section>
        <h2 style="margin-top:0">Attempts</h2>
        {{#attempts}}
        <div class="attempt">
        <p><strong>#{{n}}</strong> {{startedAt}} · <span class="badge {{statusClass}}">{{status}}</span> · {{duration}} ms</p>
        {{#error}}<p class="error">{{error}}</p>{{/error}}
        {{#body}}<pre>{{body}}</pre>{{/body}}
        </div>
        {{/attempts}}
        {{^attempts}}<p class="muted">Not tried yet.</p>{{/attempts}}
        </section>
        """

    static let message = """
        <h1>{{heading}}</h1>
        <section><p>{{text}}</p><p><a href="{{link}}">{{linkText}}</a></p></section>
        """
}
