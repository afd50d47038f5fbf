import Foundation
import HeraldCore
import HeraldDelivery
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// The parts of delivery the API shares with the dispatcher.
public struct DeliveryRuntime: Sendable {
    public let sender: HTTPSender
    public let targets: DeliveryTargets
    public let signal: WakeSignal
    /// When this process's dispatcher loop last went round; nil where no dispatcher runs.
    public var dispatcherHeartbeat: (@Sendable () -> Date)?

    public init(
        sender: HTTPSender, targets: DeliveryTargets, signal: WakeSignal,
        dispatcherHeartbeat: (@Sendable () -> Date)? = nil
    ) {
        self.sender = sender
        self.targets = targets
        self.signal = signal
        self.dispatcherHeartbeat = dispatcherHeartbeat
    }
}

/// Builds the Herald application: every route, middleware and service decided in one place.
public func buildApplication<Store: HeraldStore>(
    store: Store,
    configuration: HeraldConfiguration,
    logger: Logger,
    resolver: any HostResolver = SystemResolver(),
    signal: WakeSignal = WakeSignal(),
    services extra: [any Service] = [],
    onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
) -> some ApplicationProtocol {
    var runtime = DeliveryRuntime(
        sender: HTTPSender(timeouts: configuration.timeouts),
        targets: DeliveryTargets(policy: configuration.targetPolicy, resolver: resolver), signal: signal)
    // Services stop in reverse order: the dispatcher finishes its sends before the clients go.
    var services: [any Service] = extra + [HTTPClientService(sender: runtime.sender)]
    if configuration.runsDispatcher {
        let dispatcher = Dispatcher(
            queue: store, sender: runtime.sender, targets: runtime.targets, signal: runtime.signal,
            configuration: configuration.dispatcher, logger: logger)
        runtime.dispatcherHeartbeat = { dispatcher.lastHeartbeat }
        services.append(dispatcher)
    }
    let router = buildRouter(store: store, runtime: runtime, configuration: configuration)
    return Application(
        router: router,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "Herald"),
        services: services,
        onServerRunning: onServerRunning,
        logger: logger
    )
}

/// The router alone (tests drive it without a socket).
public func buildRouter<Store: HeraldStore>(
    store: Store, runtime: DeliveryRuntime, configuration: HeraldConfiguration
) -> Router<HeraldRequestContext> {
    let router = Router(context: HeraldRequestContext.self)
    router.add(middleware: LogRequestsMiddleware(.debug))
    router.add(middleware: ErrorMiddleware())

    router.get("health") { _, _ in JSONResponse(body: ["status": "ok"]) }
    router.get("ready") { _, _ in
        do {
            try await store.ping()
        } catch {
            return JSONResponse(status: .serviceUnavailable, body: ["status": "database unreachable"])
        }
        if let heartbeat = runtime.dispatcherHeartbeat?(), Date().timeIntervalSince(heartbeat) > 30 {
            return JSONResponse(status: .serviceUnavailable, body: ["status": "dispatcher stalled"])
        }
        return JSONResponse(body: ["status": "ready"])
    }
    if let spec = configuration.openAPISpec {
        router.get("openapi.yaml") { _, _ in
            guard let data = FileManager.default.contents(atPath: spec.path) else { throw ChannexError.notFound }
            return Response(
                status: .ok, headers: [.contentType: "application/yaml"],
                body: ResponseBody(byteBuffer: ByteBuffer(data: data)))
        }
    }

    if let registry = configuration.metrics {
        router.get("metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
        }
    }

    guard configuration.servesAPI else { return router }
    let limits = configuration.limits
    // One limiter for both dialects: a key has one budget.
    let rateLimiter = RateLimitMiddleware(limits: configuration.rateLimits)
    let api = router.group("api/v1")
        .add(middleware: AuthMiddleware(store: store))
        .add(middleware: rateLimiter)
    api.addRoutes(TenantController(store: store, limits: limits).endpoints, atPath: "tenants")
    api.addRoutes(APIKeyController(store: store, limits: limits).endpoints, atPath: "api_keys")
    api.addRoutes(PropertyController(store: store, limits: limits).endpoints, atPath: "properties")
    api.addRoutes(
        WebhookController(
            store: store, limits: limits, sender: runtime.sender, targets: runtime.targets, signal: runtime.signal,
            secretGracePeriod: configuration.secretGracePeriod
        ).endpoints, atPath: "webhooks")
    api.addRoutes(
        EventController(store: store, limits: limits, signal: runtime.signal).endpoints, atPath: "events")
    api.addRoutes(DeliveryController(store: store, signal: runtime.signal).endpoints, atPath: "deliveries")

    let octo = router.group("octo")
        .add(middleware: AuthMiddleware(store: store))
        .add(middleware: rateLimiter)
    octo.addRoutes(
        OctoWebhookController(store: store, limits: limits, targets: runtime.targets).endpoints, atPath: "webhooks")
    return router
}
