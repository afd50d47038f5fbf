import Foundation
import HTTPTypes
import HeraldCore
import Hummingbird
import Mustache
import NIOCore
import Synchronization

/// Renders the portal's pages: a page's template inside the layout.
struct PortalRenderer: Sendable {
    let library: MustacheLibrary

    init() {
        var library = MustacheLibrary()
        for (name, text) in PortalTemplates.all {
            // The templates are constants of this binary, parsed by every portal test.
            do { try library.register(text, named: name) } catch { fatalError("portal template \(name): \(error)") }
        }
        self.library = library
    }

    /// What the layout shows of a signed-in session.
    struct Chrome {
        var scope: String
        var csrf: String
    }

    struct Layout {
        var title: String
        var chrome: Chrome?
        var content: String
    }

    func render(
        _ template: String, _ view: Any, title: String, chrome: Chrome?, status: HTTPResponse.Status = .ok
    ) -> Response {
        let content = library.render(view, withTemplate: template) ?? ""
        let page = library.render(Layout(title: title, chrome: chrome, content: content), withTemplate: "layout") ?? ""
        return Response(
            status: status, headers: [.contentType: "text/html; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: page)))
    }
}

/// A page that says one thing.
struct PortalMessage {
    var heading: String
    var text: String
    var link = "/portal/webhooks"
    var linkText = "Back to the portal"

    /// An error's messages as one line: `field message; ...` (`base` ones without the field).
    static func sentence(_ details: [String: [String]]) -> String {
        details.sorted { $0.key < $1.key }.flatMap { field, messages in
            messages.map { field == "base" ? $0 : "\(field) \($0)" }
        }.joined(separator: "; ")
    }
}

/// Deliveries per hour by outcome as an inline SVG bar chart (no script, no external assets).
enum DeliveryChart {
    static let hours = 24

    /// The last `hours` hours up to `now`'s, bars stacked: succeeded, failed, waiting.
    static func svg(_ counts: [DeliveryCount], now: Date) -> String {
        let hourLength = 3600.0
        let last = (now.timeIntervalSince1970 / hourLength).rounded(.down)
        var buckets = Array(repeating: (succeeded: 0, failed: 0, waiting: 0), count: hours)
        for count in counts {
            let index = hours - 1 - Int(last - (count.hour.timeIntervalSince1970 / hourLength).rounded(.down))
            guard buckets.indices.contains(index) else { continue }
            switch count.status {
            case .succeeded: buckets[index].succeeded += count.count
            case .failed: buckets[index].failed += count.count
            case .pending, .inFlight: buckets[index].waiting += count.count
            }
        }
        let totals = buckets.map { $0.succeeded + $0.failed + $0.waiting }
        let top = max(totals.max() ?? 0, 1)
        let (width, height, left, bottom) = (720.0, 170.0, 40.0, 22.0)
        let plot = height - bottom - 8
        let slot = (width - left) / Double(hours)
        let all = buckets.reduce((0, 0, 0)) { ($0.0 + $1.succeeded, $0.1 + $1.failed, $0.2 + $1.waiting) }
        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \(Int(width)) \(Int(height))" role="img" \
            aria-label="Deliveries in the last 24 hours: \(all.0) succeeded, \(all.1) failed, \(all.2) waiting" \
            class="chart">
            <line x1="\(left)" y1="\(8 + plot)" x2="\(width)" y2="\(8 + plot)" stroke="#b9c0cc"/>
            <text x="\(left - 6)" y="14" font-size="11" text-anchor="end" fill="#5d6677">\(top)</text>
            <text x="\(left - 6)" y="\(8 + plot)" font-size="11" text-anchor="end" fill="#5d6677">0</text>

            """
        for (index, bucket) in buckets.enumerated() {
            let x = left + Double(index) * slot + 2
            var y = 8 + plot
            let hour = Date(timeIntervalSince1970: (last - Double(hours - 1 - index)) * hourLength)
            let label = Timestamp.iso(hour).dropFirst(11).prefix(5)
            svg += "<g><title>\(label) UTC: \(bucket.succeeded) succeeded, \(bucket.failed) failed, "
            svg += "\(bucket.waiting) waiting</title>"
            for (value, colour) in [
                (bucket.succeeded, "#1a7f37"), (bucket.failed, "#c62828"), (bucket.waiting, "#8a8f98"),
            ]
            where value > 0 {
                let h = max(1, plot * Double(value) / Double(top))
                y -= h
                svg +=
                    "<rect x=\(quote(x)) y=\(quote(y)) width=\(quote(slot - 4)) height=\(quote(h)) fill=\"\(colour)\"/>"
            }
            svg += "</g>\n"
            if index % 6 == 0 {
                svg += "<text x=\(quote(x)) y=\"\(height - 6)\" font-size=\"11\" fill=\"#5d6677\">\(label)</text>\n"
            }
        }
        svg += "</svg>\n<p class=\"legend\"><span><i style=\"background:#1a7f37\"></i>succeeded \(all.0)</span>"
        svg += "<span><i style=\"background:#c62828\"></i>failed \(all.1)</span>"
        svg += "<span><i style=\"background:#8a8f98\"></i>waiting \(all.2)</span></p>"
        return svg
    }

    private static func quote(_ value: Double) -> String { "\"\((value * 10).rounded() / 10)\"" }
}

/// Each webhook's hourly delivery counts of the last 24 hours, kept for a minute: a partner
/// reloading a page does not make the store count a busy endpoint's day of deliveries each time.
/// Bounded: emptied when full.
final class DeliveryCountCache: Sendable {
    private let entries = Mutex<[UUID: (at: Date, counts: [DeliveryCount])]>([:])
    let lifetime: TimeInterval
    let capacity: Int

    init(lifetime: TimeInterval = 60, capacity: Int = 10_000) {
        self.lifetime = lifetime
        self.capacity = capacity
    }

    /// Drops what is kept of `id`: its partner just changed its deliveries and looks next.
    func forget(_ id: UUID) {
        _ = entries.withLock { $0.removeValue(forKey: id) }
    }

    /// The counts of `ids` since a day before `now`: cached ones, and the rest from `load`.
    func counts(
        for ids: [UUID], now: Date, load: ([UUID], Date) async throws -> [DeliveryCount]
    ) async throws -> [DeliveryCount] {
        var found: [DeliveryCount] = []
        var missing: [UUID] = []
        entries.withLock { table in
            for id in ids {
                if let entry = table[id], entry.at <= now, now.timeIntervalSince(entry.at) < lifetime {
                    found += entry.counts
                } else {
                    missing.append(id)
                }
            }
        }
        guard !missing.isEmpty else { return found }
        let loaded = try await load(missing, now.addingTimeInterval(-Double(DeliveryChart.hours) * 3600))
        let byWebhook = Dictionary(grouping: loaded, by: \.webhookId)
        entries.withLock { table in
            if table.count + missing.count > capacity { table.removeAll(keepingCapacity: true) }
            for id in missing { table[id] = (now, byWebhook[id] ?? []) }
        }
        return found + loaded
    }
}
