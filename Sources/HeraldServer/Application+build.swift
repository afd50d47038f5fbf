import Foundation
import HeraldCore
import HeraldDelivery
import Hummingbird
import HummingbirdAuth
import HummingbirdCore
import Logging
import Metrics
import NIOCore
import ServiceLifecycle

/// What tests replace: where time comes from, and how host names resolve.
public struct HeraldDependencies: Sendable {
    public var clock: HeraldClock
    public var resolver: any HostResolver

    public init(clock: HeraldClock = .system, resolver: any HostResolver = SystemResolver()) {
        self.clock = clock
        self.resolver = resolver
    }
}

/// The parts of delivery the API shares with the dispatcher.
public struct DeliveryRuntime: Sendable {
    public let courier: Courier
    public let clock: HeraldClock
    /// When this process's dispatcher loop last went round; nil where no dispatcher runs.
    public var dispatcherHeartbeat: (@Sendable () -> Date)?
    /// When this process's dispatcher last claimed or settled; nil where no dispatcher runs.
    public var dispatcherProgress: (@Sendable () -> Date)?

    public init(courier: Courier, clock: HeraldClock, dispatcherHeartbeat: (@Sendable () -> Date)? = nil) {
        self.courier = courier
        self.clock = clock
        self.dispatcherHeartbeat = dispatcherHeartbeat
    }
}

/// Builds the Herald application: every route, middleware and service decided in one place.
/// The store's companions run first and stop last; the dispatcher finishes its sends before the
/// HTTP clients shut down.
public func buildApplication<Store: HeraldStore>(
    store: Store,
    configuration: HeraldConfiguration,
    dependencies: HeraldDependencies = HeraldDependencies(),
    logger: Logger,
    onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
) -> Application<RouterResponder<HeraldRequestContext>> {
    let sender = HTTPSender(timeouts: configuration.timeouts)
    var runtime = DeliveryRuntime(
        courier: Courier(
            sender: sender,
            targets: DeliveryTargets(policy: configuration.targetPolicy, resolver: dependencies.resolver)),
        clock: dependencies.clock)
    // Services stop in reverse order.
    // The trace exporter stops last, so the spans of everything else's shutdown still go out.
    var services: [any Service] =
        [configuration.tracing].compactMap { $0 } + store.companions.map(CompanionService.init)
        + [HTTPClientService(sender: sender)]
    if configuration.runsDispatcher {
        let dispatcher = Dispatcher(
            queue: store, courier: runtime.courier, configuration: configuration.dispatcher, clock: dependencies.clock,
            logger: logger,
            publish: { event in _ = try await store.ingest([event], tenantId: event.tenantId, now: event.createdAt) })
        runtime.dispatcherHeartbeat = { dispatcher.lastHeartbeat }
        runtime.dispatcherProgress = { dispatcher.lastProgress }
        services.append(dispatcher)
        if let retention = configuration.retention {
            services.append(
                RetentionService(store: store, retention: retention, clock: dependencies.clock, logger: logger))
        }
    }
    let router = buildRouter(store: store, runtime: runtime, configuration: configuration)
    if let adminPort = configuration.adminPort {
        services.append(
            Application(
                router: buildAdminRouter(store: store, runtime: runtime, configuration: configuration),
                configuration: .init(
                    address: .hostname(configuration.adminHost, port: adminPort), serverName: "Herald admin"),
                logger: logger))
    }
    let headerTimeout = TimeAmount.seconds(Int64(configuration.headerTimeout.components.seconds))
    return Application(
        router: router,
        server: .http1(configuration: .init(additionalChannelHandlers: [RequestHeadDeadline(timeout: headerTimeout)])),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "Herald"),
        services: services,
        onServerRunning: onServerRunning,
        logger: logger
    )
}

/// Runs a store companion as a service of the application.
struct CompanionService: Service {
    let companion: any StoreCompanion

    func run() async throws { try await companion.run() }
}

/// Every route and middleware.
func buildRouter<Store: HeraldStore>(
    store: Store, runtime: DeliveryRuntime, configuration: HeraldConfiguration
) -> Router<HeraldRequestContext> {
    let router = Router(context: HeraldRequestContext.self, options: .autoGenerateHeadEndpoints)
    // A span a request, continuing the caller's traceparent (only when tracing is on).
    // The query is recorded but for `url` (OCTO's delete by URL names a callback, credentials and all).
    if configuration.tracing != nil {
        router.add(middleware: TracingMiddleware(redactingQueryParameters: ["url", "token"]))
    }
    router.add(middleware: RequestIdMiddleware())
    // HTTP requests by route (the pattern, so labels stay bounded), method and status.
    router.add(middleware: MetricsMiddleware())
    router.add(middleware: RedactedRequestLog(.debug))
    let allowed = AllowedMethods()
    defer { allowed.load(router.routes) }
    router.add(middleware: ErrorMiddleware(allowed: allowed))

    router.get("health") { _, _ in JSONResponse(body: ["status": "ok"]) }
    // With an admin port, readiness and metrics are served there only.
    if configuration.adminPort == nil {
        addOperationsRoutes(to: router, store: store, runtime: runtime, configuration: configuration)
    }
    if let spec = configuration.openAPISpec {
        router.get("openapi.yaml") { _, _ in
            guard let data = FileManager.default.contents(atPath: spec.path) else { throw ChannexError.notFound }
            return Response(
                status: .ok, headers: [.contentType: "application/yaml"],
                body: ResponseBody(byteBuffer: ByteBuffer(data: data)))
        }
    }

    guard configuration.servesAPI else { return router }
    addAPIRoutes(to: router, store: store, runtime: runtime, configuration: configuration)
    return router
}

/// The operator's routes: `/health`, `/ready` and `/metrics`, on a port of their own.
func buildAdminRouter<Store: HeraldStore>(
    store: Store, runtime: DeliveryRuntime, configuration: HeraldConfiguration
) -> Router<HeraldRequestContext> {
    let router = Router(context: HeraldRequestContext.self, options: .autoGenerateHeadEndpoints)
    let allowed = AllowedMethods()
    defer { allowed.load(router.routes) }
    router.add(middleware: ErrorMiddleware(allowed: allowed))
    router.get("health") { _, _ in JSONResponse(body: ["status": "ok"]) }
    addOperationsRoutes(to: router, store: store, runtime: runtime, configuration: configuration)
    return router
}

/// `/ready` and, with a registry, `/metrics`.
func addOperationsRoutes<Store: HeraldStore>(
    to router: Router<HeraldRequestContext>, store: Store, runtime: DeliveryRuntime,
    configuration: HeraldConfiguration
) {
    router.get("ready") { _, _ in
        let readiness = await Readiness.check(
            store: store, runtime: runtime, stallAfter: max(60, 2 * configuration.timeouts.total.seconds))
        return JSONResponse(status: readiness.isReady ? .ok : .serviceUnavailable, body: readiness.body)
    }
    if let registry = configuration.metrics {
        let gauges = QueueGauges(perTenant: configuration.metricsPerTenant)
        router.get("metrics") { _, _ in
            // The queue's depth, read at each scrape (each count capped, so a scrape stays cheap).
            let now = runtime.clock.now()
            if let stats = try? await StoreLatency.measure(
                .queueStats, { try await store.queueStats(now: now, cap: 100_000) })
            {
                gauges.record(stats, now: now)
            }
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
        }
    }

}

/// The two dialects' API, behind authentication and the request budgets.
func addAPIRoutes<Store: HeraldStore>(
    to router: Router<HeraldRequestContext>, store: Store, runtime: DeliveryRuntime,
    configuration: HeraldConfiguration
) {
    let limits = configuration.limits
    // One limiter for both dialects: a key has one budget.
    let clock = runtime.clock
    let budgets = RequestBudgets(
        limits: configuration.rateLimits, clock: clock, trustedProxies: configuration.trustedProxies)
    let rateLimiter = RateLimitMiddleware(budgets: budgets)
    let api = router.group("api/v1")
        .add(middleware: AuthMiddleware(store: store, clock: clock, budgets: budgets))
        .add(middleware: rateLimiter)
    api.addRoutes(TenantController(store: store, clock: clock, limits: limits).endpoints, atPath: "tenants")
    api.addRoutes(APIKeyController(store: store, clock: clock, limits: limits).endpoints, atPath: "api_keys")
    api.addRoutes(PropertyController(store: store, clock: clock, limits: limits).endpoints, atPath: "properties")
    api.addRoutes(
        WebhookController(
            store: store, clock: clock, limits: limits, courier: runtime.courier,
            quota: WebhookQuota(limit: configuration.webhookQuota), secretGracePeriod: configuration.secretGracePeriod
        ).endpoints, atPath: "webhooks")
    let events = EventController(store: store, clock: clock, limits: limits)
    api.addRoutes(events.reading, atPath: "events")
    // Publishing, the hot path, authenticates from a cache of keys: the store checks the key
    // again in the events' own commit.
    router.group("api/v1/events")
        .add(middleware: AuthMiddleware(store: store, clock: clock, budgets: budgets, cache: KeyCache()))
        .add(middleware: rateLimiter)
        .addRoutes(events.publishing)
    api.addRoutes(DeliveryController(store: store, clock: clock).endpoints, atPath: "deliveries")
    api.addRoutes(EventTypeController().endpoints, atPath: "event_types")
    api.addRoutes(
        PortalLinkController(store: store, clock: clock, limits: limits, publicURL: configuration.portalBaseURL)
            .endpoints, atPath: "portal_links")

    let octo = router.group("octo")
        .add(middleware: AuthMiddleware(store: store, clock: clock, budgets: budgets))
        .add(middleware: rateLimiter)
    octo.addRoutes(
        OctoWebhookController(
            store: store, clock: clock, limits: limits, targets: runtime.courier.targets,
            quota: WebhookQuota(limit: configuration.webhookQuota)
        ).endpoints,
        atPath: "webhooks")

    addPortalRoutes(to: router, store: store, runtime: runtime, configuration: configuration, budgets: budgets)
}

/// `/portal`: the consumer portal's pages, with sessions kept in the store (every process on the
/// database knows them) and cookies that are HttpOnly, SameSite=Strict, and Secure over https.
func addPortalRoutes<Store: HeraldStore>(
    to router: Router<HeraldRequestContext>, store: Store, runtime: DeliveryRuntime,
    configuration: HeraldConfiguration, budgets: RequestBudgets
) {
    let clock = runtime.clock
    let secure = configuration.portalBaseURL.lowercased().hasPrefix("https://")
    let renderer = PortalRenderer()
    let sessions = SessionMiddleware<PortalRequestContext>(
        storage: StorePersistDriver(store: store, clock: clock),
        configuration: SessionMiddlewareConfiguration(
            sessionCookieParameters: SessionCookieParameters(
                // __Host-: the browser keeps it to this host, over TLS, for every path.
                name: secure ? "__Host-herald_portal" : "herald_portal", path: "/", secure: secure, sameSite: .strict),
            keyPrefix: "portal.", defaultSessionExpiration: configuration.portalIdleTimeout))
    // Errors become pages inside the session middleware, so a refreshed session is still saved.
    let portal = router.group("portal", context: PortalRequestContext.self)
        .add(middleware: sessions)
        .add(middleware: PortalPageMiddleware(renderer: renderer))
    let webhooks = WebhookController(
        store: store, clock: clock, limits: configuration.limits, courier: runtime.courier,
        quota: WebhookQuota(limit: configuration.webhookQuota), secretGracePeriod: configuration.secretGracePeriod)
    let origin = PortalOrigin(publicURL: configuration.portalBaseURL)
    let controller = PortalController(
        store: store, clock: clock, webhooks: webhooks, deliveries: DeliveryController(store: store, clock: clock),
        budgets: budgets, renderer: renderer, limits: configuration.limits,
        idleTimeout: configuration.portalIdleTimeout, secureCookies: secure, origin: origin)
    controller.addRoutes(
        to: portal,
        auth: PortalAuthMiddleware(
            store: store, clock: clock, budgets: budgets, limits: configuration.limits,
            idleTimeout: configuration.portalIdleTimeout, maxLifetime: 12 * 3600, origin: origin))
}
