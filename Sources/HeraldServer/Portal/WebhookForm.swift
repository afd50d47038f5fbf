import Foundation
import HeraldCore

/// The portal's webhook form, as typed: read from a posted form or from a stored webhook, and
/// turned into the API's write body, so the API's validation judges it.
struct WebhookForm {
    var callbackURL = ""
    /// A property's id, `global`, or empty.
    var propertyId = ""
    /// The events ticked.
    var events: [String] = []
    /// The rest of the mask: ARI filters or names the boxes do not list.
    var maskExtra = ""
    /// One header a line: `Name: value`.
    var headers = ""
    /// One parameter a line: `name=value`.
    var requestParams = ""
    /// Seconds between tries, comma-separated; empty: the default; `none`: one try.
    var retrySchedule = ""
    var isActive = false
    var sendData = false
    var receivesTestEvents = false

    init() {}

    init(_ form: PortalForm) {
        callbackURL = (form["callback_url"] ?? "").trimmingCharacters(in: .whitespaces)
        propertyId = form["property_id"] ?? ""
        events = form.all("events[]")
        maskExtra = form["event_mask_extra"] ?? ""
        headers = form["headers"] ?? ""
        requestParams = form["request_params"] ?? ""
        retrySchedule = form["retry_schedule"] ?? ""
        isActive = form["is_active"] == "true"
        sendData = form["send_data"] == "true"
        receivesTestEvents = form["receives_test_events"] == "true"
    }

    /// The form of a stored webhook: its URL masked (sent back unchanged, it is kept).
    init(_ webhook: Webhook) {
        callbackURL = CallbackURL.masked(webhook.callbackURL)
        propertyId = webhook.propertyId?.text ?? "global"
        let boxes = Set(["*"] + EventCatalog.channex + EventCatalog.operational)
        var extra: [String] = []
        if webhook.eventMask.matchesEverything {
            events = ["*"]
        } else {
            for item in webhook.eventMask.raw.split(separator: ";").map({ $0.trimmingCharacters(in: .whitespaces) }) {
                if boxes.contains(item) { events.append(item) } else { extra.append(item) }
            }
        }
        maskExtra = extra.joined(separator: ";")
        headers = (webhook.headers ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }
            .joined(separator: "\n")
        requestParams = (webhook.requestParams ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
            .joined(separator: "\n")
        retrySchedule =
            switch webhook.retryPolicy {
            case nil: ""
            case let policy? where policy.scheduleSeconds.isEmpty: "none"
            case let policy?: policy.scheduleSeconds.map(String.init).joined(separator: ", ")
            }
        isActive = webhook.isActive
        sendData = webhook.sendData
        receivesTestEvents = webhook.receivesTestEvents
    }

    /// Lines the form cannot read; what they mean is for the API to judge.
    var problems: [String: [String]] {
        var problems: [String: [String]] = [:]
        if Self.pairs(headers, separator: ":") == nil {
            problems["headers", default: []].append("each line must read Name: value")
        }
        if Self.pairs(requestParams, separator: "=") == nil {
            problems["request_params", default: []].append("each line must read name=value")
        }
        return problems
    }

    /// The API's write body.
    var object: [String: JSONValue] {
        let mask = (events + maskExtra.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) })
            .filter { !$0.isEmpty }.joined(separator: ";")
        var object: [String: JSONValue] = [
            "callback_url": .string(callbackURL),
            "event_mask": .string(mask),
            "is_active": .bool(isActive),
            "send_data": .bool(sendData),
            "receives_test_events": .bool(receivesTestEvents),
            "headers": Self.map(Self.pairs(headers, separator: ":") ?? []),
            "request_params": Self.map(Self.pairs(requestParams, separator: "=") ?? []),
        ]
        if propertyId == "global" {
            object["is_global"] = .bool(true)
            object["property_id"] = .null
        } else {
            object["is_global"] = .bool(false)
            // Not a UUID: the API says what is wrong with it.
            object["property_id"] = propertyId.isEmpty ? .null : .string(propertyId)
        }
        let schedule = retrySchedule.trimmingCharacters(in: .whitespaces)
        if schedule.isEmpty {
            object["retry_policy"] = .null
        } else if schedule.lowercased() == "none" {
            object["retry_policy"] = .string("none")
        } else {
            let entries = schedule.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            object["retry_policy"] = [
                "schedule_seconds": .array(entries.map { entry in Int64(entry).map(JSONValue.int) ?? .string(entry) })
            ]
        }
        return object
    }

    static func map(_ pairs: [(String, String)]) -> JSONValue {
        pairs.isEmpty ? .null : .object(Dictionary(pairs.map { ($0.0, JSONValue.string($0.1)) }) { _, last in last })
    }

    /// The non-blank lines of `text` split at the first `separator`; nil when a line has none.
    static func pairs(_ text: String, separator: Character) -> [(String, String)]? {
        var pairs: [(String, String)] = []
        for line in text.split(whereSeparator: \.isNewline) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            guard let index = trimmed.firstIndex(of: separator) else { return nil }
            pairs.append(
                (
                    String(trimmed[..<index]).trimmingCharacters(in: .whitespaces),
                    String(trimmed[trimmed.index(after: index)...]).trimmingCharacters(in: .whitespaces)
                ))
        }
        return pairs
    }
}
