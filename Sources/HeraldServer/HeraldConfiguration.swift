import Foundation
import HeraldCore
import HeraldDelivery
import Logging
import Prometheus
import ServiceLifecycle

/// What `buildApplication` needs to know; `herald serve` fills it from flags and `HERALD_*`.
public struct HeraldConfiguration: Sendable {
    public var host: String
    public var port: Int
    public var limits: BodyLimits
    /// Where `GET /openapi.yaml` reads the spec from (nil: the route answers 404).
    public var openAPISpec: URL?
    public var timeouts: HTTPSender.Timeouts
    public var dispatcher: DispatcherConfiguration
    /// How long a rotated-out signing secret keeps signing.
    public var secretGracePeriod: TimeInterval
    /// Whether this process delivers (the `worker` and `all` roles).
    public var runsDispatcher: Bool
    /// Whether this process serves the API (the `api` and `all` roles); operations routes always.
    public var servesAPI: Bool = true
    /// Where `GET /metrics` reads from (nil: the route answers 404).
    public var metrics: PrometheusCollectorRegistry?
    /// The trace exporter to run, its tracer bootstrapped (nil: tracing is off). Requests then get
    /// spans of their own, continuing a caller's `traceparent`.
    public var tracing: (any Service)?
    /// Which addresses callbacks may reach.
    public var targetPolicy: TargetPolicy
    public var rateLimits: RateLimits
    /// Where `/ready` and `/metrics` are served instead of the API's port (nil: on the API's).
    public var adminPort: Int?
    public var adminHost = "127.0.0.1"
    /// Proxies whose `X-Forwarded-For` names the client, for per-client limits.
    public var trustedProxies: [CIDR] = []
    /// How long a connection may take to send a request head, from connecting or from its
    /// previous response, before it is closed.
    public var headerTimeout: Duration = .seconds(30)
    /// The most webhooks a tenant may have (both dialects together).
    public var webhookQuota = 10_000
    /// Whether `/metrics` names the busiest tenants (it needs no key: off unless it is private).
    public var metricsPerTenant = false
    /// Where partners reach Herald (portal links start with it); nil: `http://host:port`.
    public var publicURL: String?
    /// How long a portal session lasts without a request.
    public var portalIdleTimeout: Duration = .seconds(30 * 60)

    /// The address portal links start with.
    public var portalBaseURL: String {
        if let publicURL { return publicURL }
        let shown = host.contains(":") ? "[\(host)]" : (host == "0.0.0.0" ? "127.0.0.1" : host)
        return "http://\(shown):\(port)"
    }

    /// How long events are kept, purged by the dispatching processes; nil keeps them forever.
    public var retention: Retention? = Retention(age: 30 * 86_400)

    public init(
        host: String = "127.0.0.1", port: Int = 8080, limits: BodyLimits = BodyLimits(), openAPISpec: URL? = nil,
        timeouts: HTTPSender.Timeouts = .init(), dispatcher: DispatcherConfiguration = .init(),
        secretGracePeriod: TimeInterval = 24 * 3600, runsDispatcher: Bool = true,
        metrics: PrometheusCollectorRegistry? = nil, targetPolicy: TargetPolicy = TargetPolicy(),
        rateLimits: RateLimits = RateLimits()
    ) {
        self.host = host
        self.port = port
        self.limits = limits
        self.openAPISpec = openAPISpec
        self.timeouts = timeouts
        self.dispatcher = dispatcher
        self.secretGracePeriod = secretGracePeriod
        self.runsDispatcher = runsDispatcher
        self.metrics = metrics
        self.targetPolicy = targetPolicy
        self.rateLimits = rateLimits
    }
}
