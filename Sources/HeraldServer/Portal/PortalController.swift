import Foundation
import HTTPTypes
import HeraldCore
import Hummingbird
import HummingbirdAuth

/// `/portal`: the consumer portal, server-rendered pages where partners see and manage the
/// webhooks of their scope. Every change goes through the API's own controllers, so the portal
/// holds each webhook to the same rules, with the same messages.
struct PortalController<Store: HeraldStore> {
    let store: Store
    let clock: HeraldClock
    let webhooks: WebhookController<Store>
    let deliveries: DeliveryController<Store>
    let budgets: RequestBudgets
    let renderer: PortalRenderer
    let limits: BodyLimits
    let idleTimeout: Duration
    /// Whether the cookies go over TLS only.
    let secureCookies: Bool
    /// Where a form may be posted from.
    let origin: PortalOrigin
    let counts = DeliveryCountCache()

    static var pageSize: Int { 25 }
    /// The most properties the webhook form offers.
    static var maxPropertyChoices: Int { 1000 }
    /// The cookie that carries a sign-in form's CSRF token before there is a session (over TLS,
    /// `__Host-`: no sibling subdomain can set it).
    var formCookieName: String { secureCookies ? "__Host-herald_portal_form" : "herald_portal_form" }

    func addRoutes(to portal: RouterGroup<PortalRequestContext>, auth: PortalAuthMiddleware<Store>) {
        portal.get("sign-in", use: signInPage)
        portal.post("sign-in", use: signIn)
        portal.get("enter", use: enterPage)
        portal.post("enter", use: enter)
        let pages = portal.group().add(middleware: auth)
        pages.get { _, _ in Response.redirect(to: "/portal/webhooks", type: .found) }
        pages.post("sign-out", use: signOut)
        pages.get("webhooks", use: list)
        pages.get("webhooks/new", use: newForm)
        pages.post("webhooks", use: create)
        pages.get("webhooks/:id", use: show)
        pages.get("webhooks/:id/edit", use: editForm)
        pages.post("webhooks/:id", use: update)
        pages.post("webhooks/:id/toggle", use: toggle)
        pages.post("webhooks/:id/test", use: test)
        pages.post("webhooks/:id/secret", use: revealSecret)
        pages.post("webhooks/:id/secret/rotate", use: rotateSecret)
        pages.post("webhooks/:id/recover", use: recover)
        pages.post("webhooks/:id/delete", use: delete)
        pages.get("deliveries/:id", use: showDelivery)
        pages.post("deliveries/:id/redeliver", use: redeliver)
    }

    // MARK: - Signing in and out

    struct SignInView {
        var csrf: String
        var notice: String?
        var error: String?
    }

    @Sendable func signInPage(_ request: Request, context: PortalRequestContext) async throws -> Response {
        let notice: String? =
            switch request.uri.queryParameters["notice"].map(String.init) {
            case "ended": "Your session ended. Sign in again, or ask for a new portal link."
            case "signed-out": "You signed out."
            default: nil
            }
        return formPage("sign_in", title: "Sign in") { SignInView(csrf: $0, notice: notice) }
    }

    @Sendable func signIn(_ request: Request, context: PortalRequestContext) async throws -> Response {
        var request = request
        let form = try await checkedPreSessionForm(&request)
        let client = try throttledClient(request, context)
        let key = (form["api_key"] ?? "").trimmingCharacters(in: .whitespaces)
        guard !key.isEmpty,
            let stored = try await AuthMiddleware.storedKey(key, hash: KeyMaterial.hash(apiKey: key), in: store)
        else {
            budgets.failedAuthentication(client: client)
            return formPage("sign_in", title: "Sign in", status: .unauthorized) {
                SignInView(csrf: $0, error: "That key is not known, or it was revoked.")
            }
        }
        guard PortalAuthMiddleware<Store>.maySignIn(stored.principal) else {
            return formPage("sign_in", title: "Sign in", status: .forbidden) {
                SignInView(
                    csrf: $0,
                    error: stored.principal.tenantId == nil
                        ? "Platform keys reach every tenant: make a portal link for one tenant instead."
                        : "Publisher keys only post events: sign in with an admin or user key.")
            }
        }
        return await startSession(.apiKey, id: stored.id, context: context)
    }

    struct EnterView {
        var csrf: String
        var token: String
        var error: String?
    }

    /// The link's page: a button that opens it. A GET changes nothing, so a link previewer
    /// (a chat's unfurler, a mail scanner) cannot spend the one opening.
    @Sendable func enterPage(_ request: Request, context: PortalRequestContext) async throws -> Response {
        let token = request.uri.queryParameters["token"].map(String.init) ?? ""
        return formPage("enter", title: "Open the portal") {
            EnterView(
                csrf: $0, token: token, error: token.isEmpty ? "This address has no portal token." : nil)
        }
    }

    @Sendable func enter(_ request: Request, context: PortalRequestContext) async throws -> Response {
        var request = request
        let form = try await checkedPreSessionForm(&request)
        let client = try throttledClient(request, context)
        let token = form["token"] ?? ""
        let now = clock.timestamp()
        guard token.hasPrefix(PortalLink.tokenPrefix), token.count <= 100,
            let link = try await store.redeemPortalLink(tokenHash: KeyMaterial.hash(apiKey: token), now: now)
        else {
            budgets.failedAuthentication(client: client)
            return renderer.render(
                "enter",
                EnterView(
                    csrf: "", token: "",
                    error: "This portal link has expired, was revoked, or was opened already. Ask for a new one."),
                title: "Open the portal", chrome: nil, status: .forbidden)
        }
        return await startSession(.link, id: link.id, context: context)
    }

    @Sendable func signOut(_ request: Request, context: PortalRequestContext) async throws -> Response {
        context.sessions.clearSession()
        return Response.redirect(to: "/portal/sign-in?notice=signed-out", type: .normal)
    }

    /// A new session (a new id: whatever cookie came before is not reused) and on to the webhooks.
    func startSession(_ credential: PortalSession.Credential, id: UUID, context: PortalRequestContext) async
        -> Response
    {
        _ = try? await PortalLink.purgeExpired(in: store, now: clock.timestamp())
        context.sessions.createSession(
            PortalSession(credential: credential, credentialId: id, signedInAt: clock.timestamp()),
            expiresIn: idleTimeout)
        var response = Response.redirect(to: "/portal/webhooks", type: .normal)
        response.headers[values: .setCookie].append(formCookie(value: "", maxAge: 0))
        return response
    }

    /// A page with a form posted before there is a session: its CSRF token goes in a cookie too
    /// (double submit), so another site cannot post it.
    func formPage(
        _ template: String, title: String, status: HTTPResponse.Status = .ok, _ view: (String) -> Any
    ) -> Response {
        let token = KeyMaterial.newPortalToken()
        var response = renderer.render(template, view(token), title: title, chrome: nil, status: status)
        response.headers[values: .setCookie].append(formCookie(value: token, maxAge: 3600))
        return response
    }

    func formCookie(value: String, maxAge: Int) -> String {
        Cookie(
            name: formCookieName, value: value, maxAge: maxAge, path: secureCookies ? "/" : "/portal",
            secure: secureCookies, httpOnly: true, sameSite: .strict
        ).description
    }

    /// The client presenting a key or a link, once its failed ones let it try again (429 until then).
    func throttledClient(_ request: Request, _ context: PortalRequestContext) throws -> IPAddress? {
        let client = budgets.client(
            peer: context.clientAddress, forwardedFor: request.headers[RequestBudgets.forwardedFor])
        let wait = budgets.authenticationWait(client: client)
        if wait > 0 { throw RequestBudgets.tooManyRequests(wait: wait) }
        return client
    }

    func checkedPreSessionForm(_ request: inout Request) async throws -> PortalForm {
        try origin.check(request)
        let form = try await PortalForm(&request, limit: limits.writeLimit)
        guard let cookie = request.cookies[formCookieName]?.value, !cookie.isEmpty, let token = form["csrf"],
            KeyMaterial.constantTimeEquals(String(cookie), token)
        else { throw ChannexError.forbidden("the form is out of date: reload the page and try again") }
        return form
    }

    // MARK: - Webhooks

    struct WebhookRow {
        var id: String
        var url: String
        var mask: String
        var scope: String
        var activeText: String
        var activeClass: String
        var disabledReason: String?
        var circuit: String
        var successRate: String
        var retry: String
        var headerNames: String?
        var createdAt: String
    }

    struct Pager {
        var text: String
        var previous: String?
        var next: String?
    }

    struct ListView {
        var notice: String?
        var chart: String
        var webhooks: [WebhookRow]
        var hasWebhooks: Bool
        var pager: Pager?
    }

    @Sendable func list(_ request: Request, context: PortalRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let page = PageRequest(
            page: request.uri.queryParameters["page"].flatMap { Int(String($0)) } ?? 1, limit: Self.pageSize)
        let found = try await store.listWebhooks(
            WebhookQuery(
                tenantId: principal.tenantId, propertyScope: principal.propertyScope,
                includeGlobal: principal.isAdmin, page: page))
        let now = clock.timestamp()
        let counts = try await self.counts.counts(for: found.items.map(\.id), now: now) {
            try await store.deliveryCounts(webhookIds: $0, since: $1)
        }
        var rows: [WebhookRow] = []
        var titles: [UUID: String] = [:]
        for webhook in found.items {
            rows.append(await row(webhook, counts: counts, now: now, titles: &titles))
        }
        let view = ListView(
            notice: notice(request), chart: DeliveryChart.svg(counts, now: now), webhooks: rows,
            hasWebhooks: !rows.isEmpty, pager: pager(found, path: "/portal/webhooks", query: [:]))
        return renderer.render("webhooks", view, title: "Webhooks", chrome: try await chrome(context))
    }

    struct FormView {
        var heading: String
        var action: String
        var submit: String
        var cancel: String
        var csrf: String
        var form: WebhookForm
        var properties: [Choice]
        var events: [EventChoice]
        var errors: [String: [String]]
        /// Messages for fields the form has no place for.
        var otherErrors: [FieldMessage]
    }

    struct Choice {
        var value: String
        var label: String
        var selected: Bool
    }

    struct EventChoice {
        var name: String
        var label: String
        var checked: Bool
    }

    struct FieldMessage {
        var field: String
        var message: String
    }

    @Sendable func newForm(_ request: Request, context: PortalRequestContext) async throws -> Response {
        var form = WebhookForm()
        form.isActive = true
        return try await formResponse(form, webhookId: nil, errors: [:], context: context)
    }

    @Sendable func create(_ request: Request, context: PortalRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        var request = request
        let form = WebhookForm(try await PortalForm(&request, limit: limits.writeLimit))
        switch try await saving(form, { try await webhooks.create(form.object, by: principal) }) {
        case .success(let webhook):
            return Response.redirect(to: "/portal/webhooks/\(webhook.id.text)?done=created", type: .normal)
        case .failure(let problems):
            return try await formResponse(
                form, webhookId: nil, errors: problems.details, context: context, status: .unprocessableContent)
        }
    }

    @Sendable func editForm(_ request: Request, context: PortalRequestContext) async throws -> Response {
        let webhook = try await webhooks.modifiableWebhook(id: try id(context), by: try context.requirePrincipal())
        return try await formResponse(WebhookForm(webhook), webhookId: webhook.id, errors: [:], context: context)
    }

    @Sendable func update(_ request: Request, context: PortalRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let current = try await webhooks.modifiableWebhook(id: try id(context), by: principal)
        var request = request
        let form = WebhookForm(try await PortalForm(&request, limit: limits.writeLimit))
        switch try await saving(form, { try await webhooks.update(current, with: form.object, by: principal) }) {
        case .success:
            return Response.redirect(to: "/portal/webhooks/\(current.id.text)?done=updated", type: .normal)
        case .failure(let problems):
            return try await formResponse(
                form, webhookId: current.id, errors: problems.details, context: context, status: .unprocessableContent)
        }
    }

    @Sendable func toggle(_ request: Request, context: PortalRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let current = try await webhooks.modifiableWebhook(id: try id(context), by: principal)
        _ = try await webhooks.update(current, with: ["is_active": .bool(!current.isActive)], by: principal)
        let done = current.isActive ? "deactivated" : "activated"
        return Response.redirect(to: "/portal/webhooks/\(current.id.text)?done=\(done)", type: .normal)
    }

    @Sendable func delete(_ request: Request, context: PortalRequestContext) async throws -> Response {
        let webhook = try await webhooks.modifiableWebhook(id: try id(context), by: try context.requirePrincipal())
        try await store.deleteWebhook(id: webhook.id)
        return Response.redirect(to: "/portal/webhooks?done=deleted", type: .normal)
    }

    /// What is wrong with a form, by field, to show beside its fields.
    struct FormProblems: Error {
        var details: [String: [String]]
    }

    /// What `save` made of `form`, or what is wrong with it: the form's own reading first, then
    /// the API's rules as `save` meets them.
    func saving<T>(_ form: WebhookForm, _ save: () async throws -> T) async throws -> Result<T, FormProblems> {
        if !form.problems.isEmpty { return .failure(FormProblems(details: form.problems)) }
        do {
            return .success(try await save())
        } catch let error as ValidationErrors {
            return .failure(FormProblems(details: error.details))
        } catch let error as ChannexError where error.status == .unprocessableContent {
            return .failure(FormProblems(details: error.details ?? [:]))
        }
    }

    func formResponse(
        _ form: WebhookForm, webhookId: UUID?, errors: [String: [String]], context: PortalRequestContext,
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let principal = try context.requirePrincipal()
        // The scope's properties, up to a thousand, and the webhook's own whatever its place: a
        // select without it would post another property.
        var properties: [Property] = []
        for number in 1...(Self.maxPropertyChoices / PageRequest.maxLimit) {
            let found = try await store.listProperties(
                PropertyQuery(
                    tenantId: principal.tenantId, ids: principal.propertyScope,
                    page: PageRequest(page: number, limit: PageRequest.maxLimit)))
            properties += found.items
            if found.items.isEmpty || properties.count >= found.total { break }
        }
        if let current = UUID(uuidString: form.propertyId), !properties.contains(where: { $0.id == current }),
            let property = try await store.property(id: current),
            principal.reaches(property: current, of: property.tenantId)
        {
            properties.append(property)
        }
        var choices =
            [Choice(value: "", label: "Choose a property", selected: form.propertyId.isEmpty)]
            + properties.map { Choice(value: $0.id.text, label: $0.title, selected: form.propertyId == $0.id.text) }
        if principal.isAdmin {
            choices.append(
                Choice(value: "global", label: "Every property (global)", selected: form.propertyId == "global"))
        }
        let picked = Set(form.events)
        let events = (["*"] + EventCatalog.channex + EventCatalog.operational).map {
            EventChoice(name: $0, label: $0 == "*" ? "* (every Channex event)" : $0, checked: picked.contains($0))
        }
        let shown = [
            "base", "callback_url", "property_id", "is_global", "event_mask", "headers", "request_params",
            "retry_policy",
        ]
        let other = errors.filter { !shown.contains($0.key) }.sorted { $0.key < $1.key }.flatMap { field, messages in
            messages.map { FieldMessage(field: field, message: $0) }
        }
        let path = webhookId.map { "/portal/webhooks/\($0.text)" }
        let view = FormView(
            heading: webhookId == nil ? "New webhook" : "Edit webhook", action: path ?? "/portal/webhooks",
            submit: webhookId == nil ? "Create webhook" : "Save", cancel: path ?? "/portal/webhooks",
            csrf: try session(context).csrf, form: form, properties: choices, events: events, errors: errors,
            otherErrors: other)
        return renderer.render(
            "webhook_form", view, title: view.heading, chrome: try await chrome(context), status: status)
    }

    // MARK: - One webhook

    struct TestResult {
        var status: String
        var statusClass: String
        var duration: Int
        var body: String
        var error: String?
    }

    struct DeliveryRow {
        var id: String
        var createdAt: String
        var event: String
        var status: String
        var attempts: Int
        var lastAnswer: String
    }

    struct DateRange {
        var since: String
        var until: String
    }

    struct DetailView {
        var webhook: WebhookRow
        var notice: String?
        var alert: String?
        var csrf: String
        var canModify: Bool
        var readOnlyReason: String
        var toggleText: String
        var test: TestResult?
        var secret: String?
        var secretNote: String?
        var graceText: String
        var chart: String
        var statuses: [Choice]
        var eventFilters: [Choice]
        var filters: DateRange
        var filterErrors: [String]
        var deliveries: [DeliveryRow]
        var pager: Pager?
        var recover: DateRange
        var recoverErrors: [String]
    }

    /// What a detail page shows beside the webhook, after an action.
    struct Outcome {
        var alert: String?
        var test: TestResult?
        var secret: String?
        var secretNote: String?
        var recover = DateRange(since: "", until: "")
        var recoverErrors: [String] = []
        var status: HTTPResponse.Status = .ok
    }

    @Sendable func show(_ request: Request, context: PortalRequestContext) async throws -> Response {
        let webhook = try await webhooks.visibleWebhook(id: try id(context), by: try context.requirePrincipal())
        return try await detail(webhook, request: request, context: context, outcome: Outcome())
    }

    @Sendable func test(_ request: Request, context: PortalRequestContext) async throws -> Response {
        let webhook = try await webhooks.testableWebhook(id: try id(context), by: try context.requirePrincipal())
        var outcome = Outcome()
        do {
            let answer = try await webhooks.sendTest(toSaved: webhook)
            let code = Int(answer["status_code"]?.intValue ?? 0)
            outcome.test = TestResult(
                status: code == 0 ? "no answer" : "\(code)", statusClass: (200..<300).contains(code) ? "ok" : "bad",
                duration: Int(answer["duration_ms"]?.intValue ?? 0), body: answer["body"]?.stringValue ?? "",
                error: answer["error"]?.stringValue)
        } catch let error as ChannexError where error.status == .unprocessableContent {
            outcome.alert = PortalMessage.sentence(error.details ?? [:])
            outcome.status = .unprocessableContent
        }
        return try await detail(webhook, request: request, context: context, outcome: outcome)
    }

    @Sendable func revealSecret(_ request: Request, context: PortalRequestContext) async throws -> Response {
        let webhook = try await actionable(context)
        let now = clock.timestamp()
        let older = webhook.signingSecrets(at: now).count - 1
        var outcome = Outcome()
        outcome.secret = webhook.currentSecret?.value
        if older > 0 { outcome.secretNote = "\(older) older secret(s) still sign beside it until their grace ends." }
        return try await detail(webhook, request: request, context: context, outcome: outcome)
    }

    @Sendable func rotateSecret(_ request: Request, context: PortalRequestContext) async throws -> Response {
        let webhook = try await webhooks.rotateSecret(
            of: try await webhooks.modifiableWebhook(id: try id(context), by: try context.requirePrincipal()))
        var outcome = Outcome()
        outcome.secret = webhook.currentSecret?.value
        outcome.secretNote = "The old secret keeps signing beside it for \(graceText)."
        return try await detail(webhook, request: request, context: context, outcome: outcome)
    }

    @Sendable func recover(_ request: Request, context: PortalRequestContext) async throws -> Response {
        let webhook = try await actionable(context)
        var request = request
        let form = try await PortalForm(&request, limit: limits.writeLimit)
        var outcome = Outcome()
        outcome.recover = DateRange(since: form["since"] ?? "", until: form["until"] ?? "")
        var range: [String: JSONValue] = [:]
        if let since = form["since"], !since.isEmpty { range["since"] = .string(Self.isoText(since)) }
        if let until = form["until"], !until.isEmpty { range["until"] = .string(Self.isoText(until)) }
        do {
            let count = try await webhooks.recover(webhook, range: range)
            counts.forget(webhook.id)
            return Response.redirect(
                to: "/portal/webhooks/\(webhook.id.text)?done=recovered&count=\(count)", type: .normal)
        } catch let error as ValidationErrors {
            outcome.recoverErrors = error.details.sorted { $0.key < $1.key }.flatMap { field, messages in
                messages.map { "\(field == "since" ? "From" : "To") \($0)" }
            }
            outcome.status = .unprocessableContent
        }
        return try await detail(webhook, request: request, context: context, outcome: outcome)
    }

    func detail(
        _ webhook: Webhook, request: Request, context: PortalRequestContext, outcome: Outcome
    ) async throws -> Response {
        let principal = try context.requirePrincipal()
        let now = clock.timestamp()
        let query = request.uri.queryParameters
        var filterErrors: [String] = []
        let status = query["status"].flatMap { Delivery.Status(rawValue: String($0)) }
        let eventName = query["event"].map(String.init).flatMap { $0.isEmpty ? nil : $0 }
        func date(_ name: String, _ label: String) -> Date? {
            guard let text = query[Substring(name)].map(String.init), !text.isEmpty else { return nil }
            guard let date = Timestamp.parse(Self.isoText(text)) else {
                filterErrors.append("\(label) must be a date and time")
                return nil
            }
            return date
        }
        let since = date("since", "From")
        let until = date("until", "To")
        let page = PageRequest(page: query["page"].flatMap { Int(String($0)) } ?? 1, limit: Self.pageSize)
        let found = try await store.listDeliveries(
            DeliveryQuery(
                tenantId: webhook.tenantId, propertyScope: principal.propertyScope, includeGlobal: principal.isAdmin,
                status: status, webhookId: webhook.id, eventName: eventName, since: since, until: until, page: page))
        let counts = try await self.counts.counts(for: [webhook.id], now: now) {
            try await store.deliveryCounts(webhookIds: $0, since: $1)
        }
        var titles: [UUID: String] = [:]
        let canModify = principal.canModify(webhook) && webhook.dialect == .channex
        let statuses =
            [Choice(value: "", label: "Any", selected: status == nil)]
            + [Delivery.Status.pending, .inFlight, .succeeded, .failed].map {
                Choice(value: $0.rawValue, label: $0.rawValue, selected: status == $0)
            }
        let names = EventCatalog.names.filter { webhook.eventMask.match($0) != nil }
        let eventFilters =
            [Choice(value: "", label: "Any", selected: eventName == nil)]
            + names.map { Choice(value: $0, label: $0, selected: eventName == $0) }
        var filterQuery: [String: String] = [:]
        for name in ["status", "event", "since", "until"] {
            if let value = query[Substring(name)].map(String.init), !value.isEmpty { filterQuery[name] = value }
        }
        let view = DetailView(
            webhook: await row(webhook, counts: counts, now: now, titles: &titles),
            notice: notice(request), alert: outcome.alert, csrf: try session(context).csrf, canModify: canModify,
            readOnlyReason: webhook.dialect == .octo
                ? "OCTO webhooks are managed through /octo/webhooks."
                : "This webhook is protected: only an admin may change it or act for it.",
            toggleText: webhook.isActive ? "Deactivate" : "Activate", test: outcome.test, secret: outcome.secret,
            secretNote: outcome.secretNote, graceText: graceText, chart: DeliveryChart.svg(counts, now: now),
            statuses: statuses, eventFilters: eventFilters,
            filters: DateRange(
                since: query["since"].map(String.init) ?? "", until: query["until"].map(String.init) ?? ""),
            filterErrors: filterErrors,
            deliveries: found.items.map { delivery in
                DeliveryRow(
                    id: delivery.id, createdAt: Self.shortTime(delivery.createdAt), event: delivery.eventName,
                    status: delivery.status.rawValue, attempts: delivery.attempts,
                    lastAnswer: delivery.lastStatusCode.map { "\($0)" } ?? delivery.lastError ?? "")
            },
            pager: pager(found, path: "/portal/webhooks/\(webhook.id.text)", query: filterQuery),
            recover: outcome.recover, recoverErrors: outcome.recoverErrors)
        return renderer.render(
            "webhook", view, title: CallbackURL.masked(webhook.callbackURL), chrome: try await chrome(context),
            status: outcome.status)
    }

    // MARK: - Deliveries

    struct AttemptRow {
        var n: Int
        var startedAt: String
        var status: String
        var statusClass: String
        var duration: Int
        var error: String?
        var body: String?
    }

    struct DeliveryView {
        var delivery: DeliveryRow
        var webhookId: String
        var webhookURL: String
        var nextAttempt: String?
        var notice: String?
        var alert: String?
        var canModify: Bool
        var csrf: String
        var attempts: [AttemptRow]
    }

    @Sendable func showDelivery(_ request: Request, context: PortalRequestContext) async throws -> Response {
        try await deliveryPage(request: request, context: context, alert: nil)
    }

    @Sendable func redeliver(_ request: Request, context: PortalRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let id = context.parameters.get("id") ?? ""
        let (delivery, webhook) = try await deliveries.visibleDeliveryAndWebhook(id: id, by: principal)
        do {
            _ = try await deliveries.retry(delivery, of: webhook, by: principal)
            counts.forget(webhook.id)
        } catch let error as ChannexError where error.status == .unprocessableContent {
            return try await deliveryPage(
                request: request, context: context, alert: PortalMessage.sentence(error.details ?? [:]),
                status: .unprocessableContent)
        }
        return Response.redirect(to: "/portal/deliveries/\(delivery.id)?done=redelivered", type: .normal)
    }

    func deliveryPage(
        request: Request, context: PortalRequestContext, alert: String?, status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let principal = try context.requirePrincipal()
        let (delivery, webhook) = try await deliveries.visibleDeliveryAndWebhook(
            id: context.parameters.get("id") ?? "", by: principal)
        let attempts = try await store.attempts(deliveryId: delivery.id)
        let view = DeliveryView(
            delivery: DeliveryRow(
                id: delivery.id, createdAt: Self.shortTime(delivery.createdAt), event: delivery.eventName,
                status: delivery.status.rawValue, attempts: delivery.attempts, lastAnswer: ""),
            webhookId: webhook.id.text, webhookURL: CallbackURL.masked(webhook.callbackURL),
            nextAttempt: delivery.status == .pending ? delivery.nextAttemptAt.map(Self.shortTime) : nil,
            notice: notice(request), alert: alert, canModify: principal.canModify(webhook),
            csrf: try session(context).csrf,
            attempts: attempts.map { attempt in
                AttemptRow(
                    n: attempt.number, startedAt: Self.shortTime(attempt.startedAt),
                    status: attempt.statusCode.map { "\($0)" } ?? "no answer",
                    statusClass: attempt.statusCode.map { (200..<300).contains($0) ? "ok" : "bad" } ?? "bad",
                    duration: attempt.durationMs, error: attempt.error,
                    body: attempt.responseBody.flatMap { $0.isEmpty ? nil : $0 })
            })
        return renderer.render(
            "delivery", view, title: "Delivery", chrome: try await chrome(context), status: status)
    }

    // MARK: - Helpers

    func id(_ context: PortalRequestContext) throws -> UUID {
        guard let text = context.parameters.get("id"), let id = UUID(text: text) else { throw ChannexError.notFound }
        return id
    }

    func session(_ context: PortalRequestContext) throws -> PortalSession {
        guard let session = context.sessions.session else { throw ChannexError.unauthorized }
        return session
    }

    /// The webhook in the path, if the session may act for it (test, secret, recover).
    func actionable(_ context: PortalRequestContext) async throws -> Webhook {
        try await webhooks.actionableWebhook(
            id: try id(context), by: try context.requirePrincipal(),
            "protected webhooks can only be acted for by an admin")
    }

    func chrome(_ context: PortalRequestContext) async throws -> PortalRenderer.Chrome {
        let principal = try context.requirePrincipal()
        var scope = ""
        if let tenantId = principal.tenantId { scope = try await store.tenant(id: tenantId)?.name ?? "" }
        if let properties = principal.propertyScope {
            scope += properties.count == 1 ? " · 1 property" : " · \(properties.count) properties"
        } else {
            scope += principal.isAdmin ? " · every property" : " · every property's webhooks"
        }
        return PortalRenderer.Chrome(scope: scope, csrf: try session(context).csrf)
    }

    func row(_ webhook: Webhook, counts: [DeliveryCount], now: Date, titles: inout [UUID: String]) async -> WebhookRow {
        let mine = counts.filter { $0.webhookId == webhook.id }
        let succeeded = mine.filter { $0.status == .succeeded }.reduce(0) { $0 + $1.count }
        let failed = mine.filter { $0.status == .failed }.reduce(0) { $0 + $1.count }
        var scope = "Global"
        if let propertyId = webhook.propertyId {
            if titles[propertyId] == nil {
                titles[propertyId] = (try? await store.property(id: propertyId))?.title ?? propertyId.text
            }
            scope = titles[propertyId] ?? propertyId.text
        } else if webhook.dialect == .octo {
            scope = "OCTO"
        }
        let rate =
            succeeded + failed == 0
            ? "—"
            : "\(Int((Double(succeeded) * 100 / Double(succeeded + failed)).rounded()))% of \(succeeded + failed)"
        let retry =
            switch webhook.retryPolicy {
            case nil: "default (12 tries over about 24 h)"
            case let policy? where policy.scheduleSeconds.isEmpty: "none (one try)"
            case let policy?: policy.scheduleSeconds.map(String.init).joined(separator: ", ") + " s"
            }
        return WebhookRow(
            id: webhook.id.text, url: CallbackURL.masked(webhook.callbackURL), mask: webhook.eventMask.raw,
            scope: scope, activeText: webhook.isActive ? "active" : "inactive",
            activeClass: webhook.isActive ? "active" : "inactive", disabledReason: webhook.disabledReason,
            circuit: webhook.circuit.state(at: now).rawValue, successRate: rate, retry: retry,
            headerNames: webhook.headers.flatMap { $0.isEmpty ? nil : $0.keys.sorted().joined(separator: ", ") },
            createdAt: Self.shortTime(webhook.createdAt))
    }

    func pager<Item>(_ page: Page<Item>, path: String, query: [String: String]) -> Pager? {
        let pages = max(1, (page.total + page.limit - 1) / page.limit)
        guard pages > 1 else { return nil }
        func link(_ number: Int) -> String {
            var items = query.sorted { $0.key < $1.key }.map { URLQueryItem(name: $0.key, value: $0.value) }
            items.append(URLQueryItem(name: "page", value: "\(number)"))
            var components = URLComponents()
            components.path = path
            components.queryItems = items
            return components.string ?? path
        }
        return Pager(
            text: "page \(page.page) of \(pages)", previous: page.page > 1 ? link(page.page - 1) : nil,
            next: page.page < pages ? link(page.page + 1) : nil)
    }

    /// The message a `done=` redirect asks for: fixed texts, so nothing a link says is shown.
    func notice(_ request: Request) -> String? {
        let query = request.uri.queryParameters
        switch query["done"].map(String.init) {
        case "created": return "Webhook created. Reveal its signing secret below to verify what it receives."
        case "updated": return "Saved."
        case "activated": return "Activated: deliveries go out again."
        case "deactivated": return "Deactivated: nothing is delivered until it is activated again."
        case "deleted": return "Webhook deleted."
        case "redelivered": return "Queued to be sent again now."
        case "recovered":
            let count = query["count"].flatMap { Int(String($0)) } ?? 0
            return count == 1 ? "1 failed delivery queued again." : "\(count) failed deliveries queued again."
        default: return nil
        }
    }

    var graceText: String {
        let hours = webhooks.secretGracePeriod / 3600
        return hours == 1 ? "1 hour" : "\(Int(hours.rounded())) hours"
    }

    /// A `datetime-local` value (`2026-11-27T08:00`, read as UTC) as ISO 8601.
    static func isoText(_ local: String) -> String {
        if local.count == 16 { return local + ":00Z" }
        if local.count == 19 { return local + "Z" }
        return local
    }

    /// `2026-11-27 08:00:05 UTC`.
    static func shortTime(_ date: Date) -> String {
        let iso = Timestamp.iso(date)
        return iso.prefix(10) + " " + iso.dropFirst(11).prefix(8) + " UTC"
    }
}
