import HeraldCore
import Testing

@Suite struct FieldNamesTests {
    let webhook = WebhookWriteModel.fields(for: .create)

    @Test(arguments: [
        ("is_actve", "is_active"), ("isActive", "is_active"), ("IS-ACTIVE", "is_active"),
        ("callbackUrl", "callback_url"), ("event_mask_", "event_mask"), ("evnet_mask", "event_mask"),
        ("propertyId", "property_id"), ("retry_polcy", "retry_policy"),
    ])
    func aTypoGetsTheClosestKnownField(typo: String, meant: String) {
        #expect(webhook.closest(to: typo) == meant)
        #expect(webhook.problem(with: typo) == "is not a known field; did you mean `\(meant)`?")
    }

    @Test func aNameFarFromEveryFieldListsThemAll() {
        #expect(webhook.closest(to: "colour") == nil)
        #expect(webhook.problem(with: "colour").hasPrefix("is not a known field (known fields: callback_url, "))
    }

    @Test func readModelFieldsPassAndUnknownOnesAreListedInOrder() {
        let body: [String: JSONValue] = [
            "id": "x", "created_at": "2026-01-01T00:00:00Z", "circuit": [:], "is_active": true, "zeta": 1,
            "alpha": 2,
        ]
        #expect(webhook.unknown(in: body) == ["alpha", "zeta"])
        #expect(WebhookWriteModel.fields(for: .test).unknown(in: ["signing_secret": "whsec_x"]).isEmpty)
        // The create answer's secret sent back is ignored, not refused.
        #expect(webhook.unknown(in: ["signing_secret": "whsec_x"]).isEmpty)
    }

    @Test func theParserRefusesEachUnknownField() {
        let body: [String: JSONValue] = [
            "callback_url": "https://example.com/h", "event_mask": "*", "property_id": nil, "is_actve": true,
            "isGlobal": true,
        ]
        #expect(throws: ValidationErrors.self) { try WebhookWriteModel.parse(body, mode: .create) }
        do {
            _ = try WebhookWriteModel.parse(body, mode: .create)
        } catch {
            #expect(error.details["is_actve"] == ["is not a known field; did you mean `is_active`?"])
            #expect(error.details["isGlobal"] == ["is not a known field; did you mean `is_global`?"])
        }
    }

    @Test func manyOrLongUnknownNamesGetABoundedAnswer() {
        var body: [String: JSONValue] = [:]
        for n in 0..<5_000 { body["x\(n)"] = 1 }
        body[String(repeating: "q", count: 100_000)] = 1
        let problems = webhook.problems(in: body)
        #expect(problems.count == FieldNames.maxReported + 1)
        #expect(problems.last?.message == "and \(5_001 - FieldNames.maxReported) more unknown fields")
        #expect(problems.allSatisfy { $0.field.count <= FieldNames.maxNameLength + 1 })
        #expect(webhook.closest(to: String(repeating: "is_active", count: 20)) == nil)
    }
}
