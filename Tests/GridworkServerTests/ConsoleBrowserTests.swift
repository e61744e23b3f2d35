import DispatchTestSupport
import Foundation
import GeoJSON
import GridProjection
import GridworkDispatch
@testable import GridworkServer
import Hummingbird
import HummingbirdTesting
import Testing

/// Debian's headless Chromium (`apt-get install -y chromium`; `tools/setup --checks` installs it), driven in real time
/// through the DevTools protocol by `tools/chromium-driver` (the page holds a live event stream open, so Chromium's
/// `--dump-dom --virtual-time-budget`, which waits for the network to go idle, would never finish).
enum Chromium {
    static let path: String? = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    static let missing = "chromium is not installed: `apt-get install -y chromium` (tools/setup --checks does) to run the browser tests"

    /// The page has settled: signed out or failed, or ready with its `#...` fragment request done.
    static let settled = """
        ["login", "error"].includes(document.body.dataset.state) ||
        (document.body.dataset.state === "ready" && document.body.dataset.fragmentDone === "true")
        """

    /// Opens `url` in a fresh browser (fresh profile: no stored token or language), waits until the page has
    /// settled and `until` (JavaScript) holds, and returns the DOM and the console messages (console calls, uncaught
    /// exceptions, the browser's log: failed loads among them).
    static func open(url: String, until: String? = nil, windowSize: (Int, Int)? = nil,
                     timeout: Double = 60) async throws -> (dom: String, console: [String]) {
        let session = try await ChromiumSession.start(windowSize: windowSize)
        defer { session.close() }
        try await session.open(url)
        _ = try await session.wait("(\(settled)) && (\(until ?? "true"))", timeout: timeout)
        return (try await session.dom(), try await session.console())
    }

    /// The `data-*` attributes of `<body>` in a dumped DOM.
    static func bodyData(_ dom: String) -> [String: String] {
        guard let start = dom.range(of: "<body"), let end = dom[start.upperBound...].firstIndex(of: ">") else { return [:] }
        let tag = String(dom[start.upperBound..<end])
        var result: [String: String] = [:]
        let pattern = try! NSRegularExpression(pattern: #"data-([a-z-]+)="([^"]*)""#)
        for m in pattern.matches(in: tag, range: NSRange(tag.startIndex..., in: tag)) {
            let key = String(tag[Range(m.range(at: 1), in: tag)!])
            let value = String(tag[Range(m.range(at: 2), in: tag)!])
                .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&amp;", with: "&")
            result[key] = value
        }
        return result
    }
}

/// One headless Chromium behind `tools/chromium-driver`: commands as JSON lines, one answer each.
final class ChromiumSession: @unchecked Sendable {
    private let process: Process
    private let input: FileHandle
    private let output: FileHandle
    private var buffer = Data()

    private init(process: Process, input: FileHandle, output: FileHandle) {
        self.process = process
        self.input = input
        self.output = output
    }

    static func start(windowSize: (Int, Int)? = nil) async throws -> ChromiumSession {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Fixture.packageRoot + "/tools/chromium-driver")
        process.arguments = windowSize.map { ["--window-size", "\($0.0),\($0.1)"] } ?? []
        let stdin = Pipe(), stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = FileHandle.nullDevice
        try process.run()
        let session = ChromiumSession(process: process, input: stdin.fileHandleForWriting, output: stdout.fileHandleForReading)
        let ready = try await session.readReply(timeout: 90)
        guard ready["ok"] as? Bool == true else {
            session.close()
            throw ConsoleError("tools/chromium-driver did not start: \(ready)")
        }
        return session
    }

    /// Sends one command and returns its answer (refusals of the driver are thrown).
    @discardableResult
    func send(_ command: [String: Any], timeout: Double = 90) async throws -> [String: Any] {
        let line = try JSONSerialization.data(withJSONObject: command) + Data("\n".utf8)
        try input.write(contentsOf: line)
        return try await readReply(timeout: timeout)
    }

    func open(_ url: String) async throws {
        let reply = try await send(["open": url])
        guard reply["ok"] as? Bool == true else { throw ConsoleError("cannot open \(url): \(reply)") }
    }

    /// Waits until `expression` is truthy; returns the real milliseconds it took. Throws on timeout, with the page's
    /// `<body>` data then.
    @discardableResult
    func wait(_ expression: String, timeout: Double = 30) async throws -> Int {
        let reply = try await send(["wait": expression, "timeout": timeout], timeout: timeout + 30)
        guard reply["ok"] as? Bool == true else {
            let body = try? await eval("JSON.stringify(Object.assign({}, document.body.dataset))")
            throw ConsoleError("the page did not reach \(expression) within \(timeout) s: \(reply); body data: \(body ?? "?")")
        }
        return reply["ms"] as? Int ?? -1
    }

    func eval(_ expression: String) async throws -> Any? {
        let reply = try await send(["eval": expression])
        guard reply["ok"] as? Bool == true else { throw ConsoleError("evaluation of \(expression) failed: \(reply)") }
        return reply["value"]
    }

    func dom() async throws -> String { try await eval("document.documentElement.outerHTML") as? String ?? "" }

    func console() async throws -> [String] { try await send(["console": true])["value"] as? [String] ?? [] }

    func screenshot(_ file: String) async throws {
        let reply = try await send(["screenshot": file])
        guard reply["ok"] as? Bool == true else { throw ConsoleError("screenshot failed: \(reply)") }
    }

    func close() {
        try? input.close()
        let process = self.process
        DispatchQueue.global().asyncAfter(deadline: .now() + 20) { if process.isRunning { process.terminate() } }
        process.waitUntilExit()
    }

    /// One line of the driver's output as JSON, read on a background thread.
    private func readReply(timeout: Double) async throws -> [String: Any] {
        let process = self.process
        let timer = DispatchWorkItem { if process.isRunning { process.terminate() } }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: timer)
        defer { timer.cancel() }
        let line: Data = try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                while true {
                    if let newline = self.buffer.firstIndex(of: UInt8(ascii: "\n")) {
                        let line = self.buffer[self.buffer.startIndex..<newline]
                        self.buffer = Data(self.buffer[(newline + 1)...])
                        continuation.resume(returning: Data(line))
                        return
                    }
                    let chunk = self.output.availableData
                    if chunk.isEmpty {
                        continuation.resume(throwing: ConsoleError("tools/chromium-driver ended (or took over \(timeout) s)"))
                        return
                    }
                    self.buffer.append(chunk)
                }
            }
        }
        return (try JSONSerialization.jsonObject(with: line) as? [String: Any]) ?? [:]
    }
}

extension ConsoleFixture {
    /// Reports a garbage incident at `point` with the reporter token and returns its id.
    func report(_ client: some TestClientProtocol, at point: (lon: Double, lat: Double), description: String,
                sourceLocation: Testing.SourceLocation = #_sourceLocation) async throws -> Int {
        let r = try await client.send(.post, "/api/v1/incidents", token: f.tokens["reporter"],
                                      json: incidentJSON(category: "garbage", x: point.lon, y: point.lat, description: description))
        #expect(r.status == .created, "\(r.text)", sourceLocation: sourceLocation)
        return try #require(r.object["id"] as? Int, sourceLocation: sourceLocation)
    }

    /// The page's address with a role's token in the fragment.
    func page(_ port: Int, as role: String) -> String { "http://127.0.0.1:\(port)/#token=\(f.tokens[role]!)" }
}

@Suite("Web console in headless Chromium", .serialized)
struct ConsoleBrowserTests {
    @Test("the page draws grids, problems and incidents; a reassignment made in the page reaches the API",
          .enabled(if: Chromium.path != nil, Comment(rawValue: Chromium.missing)))
    func drawAndReassign() async throws {
        let c = try ConsoleFixture()
        let p = c.f.workerPoint
        try await c.application().test(.live) { client in
            let port = try #require(client.port)
            // Two incidents in the worker's grid, one elsewhere.
            var ids: [Int] = []
            for (x, y) in [(p.lon, p.lat), (p.lon, p.lat), (c.f.vacantPoint.lon, c.f.vacantPoint.lat)] {
                let r = try await client.send(.post, "/api/v1/incidents", token: c.f.tokens["reporter"],
                                              json: incidentJSON(category: "garbage", x: x, y: y, description: "console test"))
                #expect(r.status == .created, "\(r.text)")
                ids.append(try #require(r.object["id"] as? Int))
            }
            let target = c.f.otherWorker
            let base = "http://127.0.0.1:\(port)/"

            // The dispatcher reassigns the first incident from the page.
            let fragment = "#token=\(c.f.tokens["dispatcher"]!)&incident=\(ids[0])&action=dispatch&assignee=staff:\(target)"
            let dom = try await Chromium.open(url: base + fragment).dom
            let data = Chromium.bodyData(dom)
            #expect(data["state"] == "ready", "page state: \(data)\n\(dom.prefix(3000))")
            #expect(data["grids-drawn"] == String(c.gridCount))
            #expect(Int(data["gaps-drawn"] ?? "") ?? 0 >= 1)
            #expect(Int(data["overlaps-drawn"] ?? "") ?? 0 >= 1)
            #expect(data["incidents-drawn"] == "3")
            // The fixture's clock stands at 2026-01-01, so every deadline has passed by the browser's clock.
            #expect(data["overdue-rows"] == "3")
            #expect(data["role"] == "dispatcher")
            #expect(data["action-result"] == "ok:dispatched:staff:\(target)", "\(data)")
            #expect(dom.contains("事件 \(ids[0])"), "the side panel shows the incident")

            // Through the API: the incident is now the other worker's, with the page's note in its history.
            let after = try await client.send(.get, "/api/v1/incidents/\(ids[0])", token: c.f.tokens["dispatcher"])
            #expect((after.object["assignee"] as? [String: Any])?["id"] as? String == target)
            let history = after.object["history"] as? [[String: Any]] ?? []
            #expect(history.contains { $0["action"] as? String == "dispatch" && ($0["note"] as? String ?? "").contains("调度台") })

            // A grid worker's page shows only what the API lets the worker see, and may not reassign.
            let worker = "#token=\(c.f.tokens["worker"]!)&incident=\(ids[1])&action=dispatch&assignee=staff:\(target)"
            let workerData = Chromium.bodyData(try await Chromium.open(url: base + worker).dom)
            let visible = try await client.send(.get, "/api/v1/incidents?state=open", token: c.f.tokens["worker"])
            let visibleCount = (visible.object["incidents"] as? [Any])?.count ?? -1
            #expect(workerData["incidents-drawn"] == String(visibleCount), "\(workerData)")
            #expect(visibleCount >= 1 && visibleCount < 3)
            #expect(workerData["action-result"]?.hasPrefix("error:403:") == true, "\(workerData)")
            let unchanged = try await client.send(.get, "/api/v1/incidents/\(ids[1])", token: c.f.tokens["dispatcher"])
            #expect((unchanged.object["assignee"] as? [String: Any])?["id"] as? String == p.worker)

            // A wrong token brings the sign-in dialog, not a broken map.
            let bad = Chromium.bodyData(try await Chromium.open(url: base + "#token=gw_wrong").dom)
            #expect(bad["state"] == "login", "\(bad)")
        }
    }

    @Test("a clean load (no console errors, no failed requests); a grid click opens its panel through the incident layer",
          .enabled(if: Chromium.path != nil, Comment(rawValue: Chromium.missing)))
    func cleanLoadAndGridClick() async throws {
        let c = try ConsoleFixture()
        let p = c.f.workerPoint, vacant = c.f.vacantPoint
        try await c.application().test(.live) { client in
            let port = try #require(client.port)
            let id = try await c.report(client, at: (p.lon, p.lat), description: "in the worker's grid")
            let base = c.page(port, as: "dispatcher")

            // Incidents drawn, a click on a grid without one: the grid's panel opens.
            let (dom, console) = try await Chromium.open(url: base + "&click=\(vacant.lon),\(vacant.lat)",
                                                      until: "document.body.dataset.selectedGrid")
            let data = Chromium.bodyData(dom)
            #expect(data["state"] == "ready", "\(data)")
            #expect(data["incidents-drawn"] == "1")
            #expect(console.isEmpty, "console messages: \(console)")
            #expect(data["console-errors"] == "0" && data["failed-requests"] == "", "\(data)")
            #expect(data["incidents-capped"] == "false")
            #expect(dom.range(of: #"leaflet-tile[ "]"#, options: .regularExpression) == nil,
                    "no base map by default: nothing is fetched from outside")
            #expect(data["selected-grid"] == vacant.grid, "the click reached the grid: \(data)")

            // Incidents switched off, a click on the incident's own place: its grid opens, listing the incident.
            let off = try await Chromium.open(url: base + "&layers=no-incidents&click=\(p.lon),\(p.lat)",
                                             until: "document.body.dataset.selectedGrid").dom
            #expect(Chromium.bodyData(off)["selected-grid"] == p.grid, "\(Chromium.bodyData(off))")
            #expect(off.contains("<tr data-id=\"\(id)\" tabindex=\"0\">"), "the grid panel lists its open incident")
        }
    }

    @Test("Escalate in the page raises the level and keeps the handler; Dispatch keeps the level (checked through the API)",
          .enabled(if: Chromium.path != nil, Comment(rawValue: Chromium.missing)))
    func escalateRaisesTheLevel() async throws {
        let c = try ConsoleFixture()
        let p = c.f.offDutyPoint
        try await c.application().test(.live) { client in
            let port = try #require(client.port)
            let id = try await c.report(client, at: (p.lon, p.lat), description: "escalate me")
            let base = c.page(port, as: "dispatcher") + "&incident=\(id)"

            // Escalated to the county from the page: level county, still the village committee's, on the overdue table.
            let dom = try await Chromium.open(url: base + "&action=escalate&level=county").dom
            let data = Chromium.bodyData(dom)
            #expect(data["action-result"] == "ok:dispatched:village:\(p.village)", "\(data)")
            #expect(data["overdue-rows"] == "1")
            var after = try await client.send(.get, "/api/v1/incidents/\(id)", token: c.f.tokens["dispatcher"])
            #expect(after.object["escalation_level"] as? String == "county")
            let history = after.object["history"] as? [[String: Any]] ?? []
            #expect(history.last?["action"] as? String == "escalate", "\(history)")
            #expect((history.last?["actor"] as? String ?? "").hasPrefix("dispatcher:"))
            // The panel offers Dispatch with the current assignee preselected, and no Escalate at the county.
            #expect(dom.contains("value=\"village:\(p.village)\" selected"), "Reassign preselects the current assignee")
            #expect(!dom.contains("data-act=\"escalate\""), "nothing above the county")

            // Dispatching it on (to the village committee again) keeps the county level.
            let again = Chromium.bodyData(try await Chromium.open(
                url: base + "&action=dispatch&assignee=village:\(p.village)").dom)
            #expect(again["action-result"] == "ok:dispatched:village:\(p.village)", "\(again)")
            after = try await client.send(.get, "/api/v1/incidents/\(id)", token: c.f.tokens["dispatcher"])
            #expect(after.object["escalation_level"] as? String == "county")
            // Lowering is refused with the API's message.
            let lower = try await client.send(.post, "/api/v1/incidents/\(id)/escalate", token: c.f.tokens["dispatcher"],
                                              json: #"{"level": "town"}"#)
            #expect(lower.status == .conflict, "\(lower.text)")
        }
    }

    @Test("Chinese by default from the one message table; the bar's switch turns the page English",
          .enabled(if: Chromium.path != nil, Comment(rawValue: Chromium.missing)))
    func chineseAndEnglish() async throws {
        let c = try ConsoleFixture()
        let p = c.f.workerPoint
        try await c.application().test(.live) { client in
            let port = try #require(client.port)
            let id = try await c.report(client, at: (p.lon, p.lat), description: "语言测试")
            let base = c.page(port, as: "dispatcher") + "&incident=\(id)"

            let zh = try await Chromium.open(url: base).dom
            #expect(Chromium.bodyData(zh)["lang"] == "zh-CN" && zh.contains("<html lang=\"zh-CN\""))
            // Labels, the category from the routing rules' label, state, role, level and buttons, all in Chinese.
            for text in ["超期事件", "图例", "垃圾清运", "已派单", "调度员", "网格级", "派单", "升级", "退出", "English"] {
                #expect(zh.contains(text), "zh-CN page lacks \(text)")
            }
            #expect(!zh.contains("Overdue incidents") && !zh.contains("garbage</td>"))
            // The fixture's clock stands at 2026-01-01 00:00 UTC: reported at 08:00 in Asia/Shanghai; the deadline
            // (24 h) passed long ago by the browser's clock, so the overdue table says by how much, in days.
            #expect(zh.contains("2026-01-01 08:00") && zh.contains("2026-01-02 08:00"), "times in Asia/Shanghai")
            #expect(zh.range(of: #"超期 \d+ 天"#, options: .regularExpression) != nil, "lateness as 超期 N 天")

            let en = try await Chromium.open(url: base + "&press=lang-switch").dom
            let data = Chromium.bodyData(en)
            #expect(data["lang"] == "en" && en.contains("<html lang=\"en\""), "\(data)")
            for text in ["Overdue incidents", "Legend", "Garbage", "dispatched", "dispatcher", "Dispatch", "Escalate",
                         "Sign out", "中文", "2026-01-01 08:00"] {
                #expect(en.contains(text), "English page lacks \(text)")
            }
            #expect(!en.contains("超期事件") && !en.contains("垃圾清运"))
            #expect(en.range(of: #"\d+ d overdue"#, options: .regularExpression) != nil)
        }
    }

    @Test("live: an incident posted through the API appears on an open page within 2 s, with an alert; the page says when the server cannot be reached and reconnects by itself, catching up on what it missed",
          .enabled(if: Chromium.path != nil, Comment(rawValue: Chromium.missing)))
    func liveIncident() async throws {
        let c = try ConsoleFixture()
        let p = c.f.workerPoint, vacant = c.f.vacantPoint
        let session = try await ChromiumSession.start()
        defer { session.close() }
        let port = try await c.application().test(.live) { client in
            let port = try #require(client.port)
            try await session.open(c.page(port, as: "dispatcher"))
            try await session.wait(Chromium.settled)
            try await session.wait("document.body.dataset.live === 'open'", timeout: 10)
            #expect(try await session.eval("document.body.dataset.incidentsDrawn") as? String == "0")

            let posted = Date()
            let id = try await c.report(client, at: (p.lon, p.lat), description: "live")
            try await session.wait("document.body.dataset.liveLast === '\(id)'", timeout: 10)
            let seconds = Date().timeIntervalSince(posted)
            #expect(seconds < 2, "the new incident took \(seconds) s (posting included) to appear")
            let data = Chromium.bodyData(try await session.dom())
            #expect(data["incidents-drawn"] == "1" && data["alerts"] == "1", "\(data)")
            // Its deadline passed long ago by the browser's clock: it is on the overdue table, and the alert names it.
            #expect(data["overdue-rows"] == "1")
            let alert = try await session.eval("document.querySelector('#alerts .alert').textContent") as? String
            #expect(alert?.hasPrefix("新事件 #\(id) 垃圾清运") == true, "\(alert ?? "no alert")")
            #expect(try await session.eval("document.getElementById('live-status').textContent") as? String == "● 实时")

            // A change made elsewhere reaches the page too: dispatched to the other worker, the table says so.
            let r = try await client.send(.post, "/api/v1/incidents/\(id)/dispatch", token: c.f.tokens["dispatcher"],
                                          json: #"{"assignee": {"kind": "staff", "id": "\#(c.f.otherWorker)"}}"#)
            #expect(r.status == .ok, "\(r.text)")
            try await session.wait("document.querySelector('#overdue-rows tr[data-id=\"\(id)\"]')?.textContent.includes('\(c.f.otherWorker)')",
                                   timeout: 5)
            #expect(try await session.eval("document.body.dataset.alerts") as? String == "1", "a change is no new incident")
            return port
        }
        // The server has stopped: the page says so in Chinese instead of a raw network error.
        try await session.wait("document.body.dataset.live === 'down'", timeout: 10)
        let down = try await session.eval("document.getElementById('live-status').textContent") as? String
        #expect(down == "服务器无法连接")
        // Reported while the page was cut off, then the server comes back on the same port: the page reconnects by
        // itself and reloads, so the missed incident appears without a reload of the page.
        let reporter = try c.f.service.authenticate(token: c.f.tokens["reporter"])
        let missed = try c.f.service.intake(IntakeRequest(category: "garbage", description: "while down",
                                                          location: .init(x: vacant.lon, y: vacant.lat)), by: reporter).incident
        // (HummingbirdTesting's live mode always takes a new port, so the second server is run by hand.)
        let restarted = try buildApplication(service: c.f.service, options: DispatchServerOptions(
            host: "127.0.0.1", port: port, sweepInterval: .seconds(3600)), console: c.console)
        let server = Task { try await restarted.runService(gracefulShutdownSignals: []) }
        defer { server.cancel() }
        try await session.wait("document.body.dataset.live === 'open'", timeout: 30)
        try await session.wait("document.body.dataset.incidentsDrawn === '2'", timeout: 10)
        let dom = try await session.dom()
        #expect(dom.contains("<tr data-id=\"\(missed.id)\""), "the missed incident is on the overdue table")
        #expect(try await session.eval("document.getElementById('message').hidden") as? Bool == true,
                "no stale error once the server is back")
        server.cancel()
        _ = try? await server.value
    }

    @Test("5,000 incidents are clustered (a few labelled clusters, the grids visible between them) and the page still loads in under 2.5 s; the heat view counts them in cells",
          .enabled(if: Chromium.path != nil, Comment(rawValue: Chromium.missing)))
    func clusteringAtFiveThousand() async throws {
        let c = try ConsoleFixture()
        let reporter = try c.f.service.authenticate(token: c.f.tokens["reporter"])
        let points = c.f.county.incidents
        // The sample's incident points, round and round (the few it puts outside the county are refused).
        var created = 0, k = 0
        while created < 5000 && k < 20_000 {
            let q = points[k % points.count]
            k += 1
            if (try? c.f.service.intake(IntakeRequest(category: "garbage", description: "load \(k)",
                                                      location: .init(x: q.lon, y: q.lat)), by: reporter)) != nil {
                created += 1
            }
        }
        #expect(created == 5000)
        try await c.application().test(.live) { client in
            let port = try #require(client.port)
            let session = try await ChromiumSession.start(windowSize: (1280, 800))
            defer { session.close() }
            try await session.open(c.page(port, as: "dispatcher") + "&layers=heat")
            try await session.wait(Chromium.settled, timeout: 60)
            let data = Chromium.bodyData(try await session.dom())
            #expect(data["state"] == "ready" && data["incidents-drawn"] == "5000", "\(data)")
            #expect(data["console-errors"] == "0" && data["failed-requests"] == "", "\(data)")
            // Load time: the best of three cold loads (each a fresh browser), as a benchmark takes it, so a burst of
            // other tests running in parallel on the machine does not decide it; the server is a debug build here.
            var loads = [try #require(Int(data["load-ms"] ?? ""))]
            while loads.min()! >= 2500 && loads.count < 3 {
                let again = try await ChromiumSession.start(windowSize: (1280, 800))
                defer { again.close() }
                try await again.open(c.page(port, as: "dispatcher"))
                try await again.wait(Chromium.settled, timeout: 60)
                loads.append(try #require(Int(Chromium.bodyData(try await again.dom())["load-ms"] ?? "")))
            }
            #expect(loads.min()! < 2500, "page load \(loads) ms with 5,000 incidents")
            let clusters = try await session.eval("document.querySelectorAll('.incident-cluster').length") as? Int ?? -1
            let clustered = try await session.eval(
                "[...document.querySelectorAll('.incident-cluster span')].reduce((s, e) => s + Number(e.textContent.replace(/\\D/g, '')), 0)") as? Int ?? -1
            #expect(clusters >= 1 && clusters <= 200, "\(clusters) clusters at county zoom")
            #expect(clustered >= 4000, "most of the 5,000 incidents sit in clusters: \(clustered)")
            // Each cluster is ringed red: every incident is overdue by the browser's clock.
            #expect(try await session.eval("document.querySelectorAll('.incident-cluster.overdue').length") as? Int == clusters)
            #expect(Int(data["heat-cells"] ?? "") ?? 0 > 0, "the heat view painted cells: \(data)")
        }
    }

    @Test("phone: the bar's counts, who is signed in and sign-out are visible; touch targets are at least 44 px; overdue rows are reachable with Tab and open with Enter",
          .enabled(if: Chromium.path != nil, Comment(rawValue: Chromium.missing)))
    func phoneLayout() async throws {
        let c = try ConsoleFixture()
        let p = c.f.workerPoint
        try await c.application().test(.live) { client in
            let port = try #require(client.port)
            let id = try await c.report(client, at: (p.lon, p.lat), description: "phone")
            let session = try await ChromiumSession.start(windowSize: (390, 844))
            defer { session.close() }
            try await session.open(c.page(port, as: "dispatcher"))
            try await session.wait(Chromium.settled)
            // Visible: displayed, inside the screen, and not cut off (nothing hidden behind an ellipsis).
            let visible = """
                (id) => { const e = document.getElementById(id); const r = e.getBoundingClientRect();
                  return getComputedStyle(e).display !== "none" && getComputedStyle(e).visibility !== "hidden" &&
                    r.width > 0 && r.height > 0 && r.left >= 0 && r.right <= innerWidth && r.top >= 0 &&
                    e.scrollWidth <= e.clientWidth + 1; }
                """
            for id in ["summary", "who", "logout", "live-status", "panel-toggle"] {
                #expect(try await session.eval("(\(visible))('\(id)')") as? Bool == true, "#\(id) is not visible on a phone")
            }
            let summary = try await session.eval("document.getElementById('summary').textContent") as? String ?? ""
            #expect(summary.contains("1 件待办") && summary.contains("1 件超期"), "\(summary)")
            #expect(try await session.eval("document.getElementById('who').textContent") as? String == "调度员")
            let small = try await session.eval("""
                [...document.querySelectorAll('#bar button, .leaflet-control-zoom a, .leaflet-control-layers-toggle')]
                  .filter((e) => { const r = e.getBoundingClientRect(); return r.width < 44 || r.height < 44; })
                  .map((e) => e.id || e.className)
                """) as? [Any]
            #expect(small?.isEmpty == true, "touch targets under 44 px: \(small ?? [])")
            // Keyboard: the overdue row takes focus (Tab order) and Enter opens its incident.
            #expect(try await session.eval("document.querySelector('#overdue-rows tr[data-id]').tabIndex") as? Int == 0)
            _ = try await session.eval("""
                (() => { const row = document.querySelector('#overdue-rows tr[data-id]'); row.focus();
                  row.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true })); })()
                """)
            try await session.wait("document.querySelector('#incident-detail h2')?.textContent.includes('事件 \(id)')")
        }
    }

    @Test("filters and search: category, state, town, village, grid, overdue only, id or text; the map and the overdue table follow them",
          .enabled(if: Chromium.path != nil, Comment(rawValue: Chromium.missing)))
    func filtersAndSearch() async throws {
        let c = try ConsoleFixture()
        let p = c.f.workerPoint, vacant = c.f.vacantPoint
        try await c.application().test(.live) { client in
            let port = try #require(client.port)
            let a = try await c.report(client, at: (p.lon, p.lat), description: "楼道漏水 50% of the stairs")
            let b = try await c.report(client, at: (p.lon, p.lat), description: "垃圾堆放")
            let r = try await client.send(.post, "/api/v1/incidents", token: c.f.tokens["reporter"],
                                          json: incidentJSON(category: "street_vending", x: vacant.lon, y: vacant.lat, description: "占道"))
            let v = try #require(r.object["id"] as? Int)
            // The API's text search, with LIKE's wildcards taken as written.
            let found = try await client.send(.get, "/api/v1/incidents?q=%E6%BC%8F%E6%B0%B4", token: c.f.tokens["dispatcher"])
            #expect((found.object["incidents"] as? [[String: Any]])?.compactMap { $0["id"] as? Int } == [a])
            let percent = try await client.send(.get, "/api/v1/incidents?q=%25", token: c.f.tokens["dispatcher"])
            #expect((percent.object["incidents"] as? [[String: Any]])?.compactMap { $0["id"] as? Int } == [a])
            let underscore = try await client.send(.get, "/api/v1/incidents?q=_", token: c.f.tokens["dispatcher"])
            #expect((underscore.object["incidents"] as? [[String: Any]])?.isEmpty == true)

            let session = try await ChromiumSession.start()
            defer { session.close() }
            try await session.open(c.page(port, as: "dispatcher"))
            try await session.wait(Chromium.settled)
            func choose(_ id: String, _ value: String) async throws {
                _ = try await session.eval("""
                    (() => { const e = document.getElementById('\(id)'); if (e.type === 'checkbox') e.checked = \(value == "on");
                      else e.value = '\(value)'; e.dispatchEvent(new Event('change')); })()
                    """)
            }
            func shown() async throws -> (map: String?, table: String?, ids: [Int]) {
                let data = Chromium.bodyData(try await session.dom())
                let ids = try await session.eval("[...document.querySelectorAll('#overdue-rows tr[data-id]')].map((r) => Number(r.dataset.id))") as? [Int]
                return (data["incidents-shown"], data["overdue-rows"], (ids ?? []).sorted())
            }
            #expect(try await shown().map == "3")
            try await choose("f-category", "garbage")
            #expect(try await shown().ids == [a, b])
            #expect(try await session.eval("document.getElementById('filter-count').textContent") as? String == "显示 2 / 3 件待办")
            try await choose("f-category", "")
            try await choose("f-grid", vacant.grid)
            #expect(try await shown().ids == [v])
            try await choose("f-grid", "")
            let town = try #require(c.f.service.directory.grids[p.grid]?.townID)
            let village = try #require(c.f.service.directory.grids[p.grid]?.villageID)
            try await choose("f-town", town)
            try await choose("f-village", village)
            #expect(try await shown().ids == [a, b])
            try await choose("f-state", "accepted")
            #expect(try await shown().map == "0")
            _ = try await session.eval("document.getElementById('f-clear').click()")
            try await choose("f-overdue", "on")
            #expect(try await shown().map == "3", "every deadline has passed by the browser's clock")
            // Text: asked of the API; a number finds the incident.
            _ = try await session.eval("(() => { const e = document.getElementById('f-text'); e.value = '漏水'; e.dispatchEvent(new Event('input')); })()")
            try await session.wait("document.body.dataset.incidentsShown === '1'")
            #expect(try await shown().ids == [a])
            _ = try await session.eval("(() => { const e = document.getElementById('f-text'); e.value = '#\(v)'; e.dispatchEvent(new Event('input')); })()")
            try await session.wait("document.querySelector('#overdue-rows tr[data-id=\"\(v)\"]') !== null")
            #expect(try await shown().ids == [v])
            let data = Chromium.bodyData(try await session.dom())
            #expect(data["console-errors"] == "0" && data["failed-requests"] == "", "\(data)")
        }
    }

    @Test("statistics per town, village and grid from the summary API: the API's figures, sortable, as CSV",
          .enabled(if: Chromium.path != nil, Comment(rawValue: Chromium.missing)))
    func statistics() async throws {
        let c = try ConsoleFixture()
        let p = c.f.workerPoint, vacant = c.f.vacantPoint
        try await c.application().test(.live) { client in
            let port = try #require(client.port)
            let a = try await c.report(client, at: (p.lon, p.lat), description: "done on time")
            _ = try await c.report(client, at: (p.lon, p.lat), description: "open")
            _ = try await c.report(client, at: (vacant.lon, vacant.lat), description: "elsewhere")
            for (action, token, body) in [("accept", "worker", "{}"), ("resolve", "worker", "{}"), ("rate", "reporter", #"{"rating": 5}"#),
                                          ("close", "reporter", "{}")] {
                let r = try await client.send(.post, "/api/v1/incidents/\(a)/\(action)", token: c.f.tokens[token], json: body)
                #expect(r.status == .ok, "\(action): \(r.text)")
            }
            // The API: per grid, the worker's grid has 2 received, 1 closed, on time and satisfied, 1 open.
            let summary = try await client.send(.get, "/api/v1/reports/summary", token: c.f.tokens["planner"])
            let byGrid = summary.object["by_grid"] as? [[String: Any]] ?? []
            let row = try #require(byGrid.first { $0["id"] as? String == p.grid })
            #expect(row["received"] as? Int == 2 && row["closed"] as? Int == 1 && row["open"] as? Int == 1)
            #expect(row["on_time_rate"] as? Double == 1 && row["satisfaction_rate"] as? Double == 1)
            // The fixture's clock has not moved: nothing is overdue for the server.
            #expect(row["overdue"] as? Int == 0)
            #expect(byGrid.map { $0["received"] as? Int ?? 0 }.reduce(0, +) == 3)
            let byTown = summary.object["by_town"] as? [[String: Any]] ?? []
            #expect(byTown.map { $0["received"] as? Int ?? 0 }.reduce(0, +) == 3)

            let session = try await ChromiumSession.start()
            defer { session.close() }
            try await session.open(c.page(port, as: "planner"))
            try await session.wait(Chromium.settled)
            _ = try await session.eval("document.getElementById('stats-toggle').click()")
            try await session.wait("document.body.dataset.statsRows === '2'")
            let cells = try await session.eval("""
                [...document.querySelectorAll('#stats-table tbody tr')].map((r) => [...r.cells].map((c) => c.textContent))
                """) as? [[String]] ?? []
            #expect(cells.contains([p.grid, "2", "1", "100.0%", "100.0%", "0", "1"]), "\(cells)")
            // Sorted by received, most first; the CSV follows the table, with Chinese headings.
            _ = try await session.eval("document.querySelector('#stats-table button[data-sort=received]').click()")
            let first = try await session.eval("document.querySelector('#stats-table tbody tr').dataset.area") as? String
            #expect(first == p.grid)
            let csv = try await session.eval("statsCSV()") as? String ?? ""
            let lines = csv.components(separatedBy: "\r\n")
            #expect(lines.first == "编号,受理,结案,按时办结率,满意率,超期,待办", "\(lines)")
            #expect(lines.dropFirst().first == "\(p.grid),2,1,100.0,100.0,0,1", "\(lines)")
            _ = try await session.eval("(() => { const s = document.getElementById('stats-level'); s.value = 'town'; s.dispatchEvent(new Event('change')); })()")
            #expect(try await session.eval("document.body.dataset.statsRows") as? String == String(byTown.count))
            // A grid worker gets no statistics button (the report is for planners, dispatchers and admins).
            try await session.open(c.page(port, as: "worker"))
            try await session.wait(Chromium.settled)
            #expect(try await session.eval("document.getElementById('stats-toggle').hidden") as? Bool == true)
        }
    }

    @Test("deadline countdown red, amber, green; lateness from the first deadline after the sweep moved due_at; grid labels from zoom 14",
          .enabled(if: Chromium.path != nil, Comment(rawValue: Chromium.missing)))
    func countdownAndLabels() async throws {
        let c = try ConsoleFixture()
        let p = c.f.workerPoint
        try await c.application().test(.live) { client in
            let port = try #require(client.port)
            // Red: reported at the fixture's 2026-01-01, long overdue; the sweep moves its due_at on, not deadline_at.
            let red = try await c.report(client, at: (p.lon, p.lat), description: "red")
            let first = try await client.send(.get, "/api/v1/incidents/\(red)", token: c.f.tokens["dispatcher"])
            let deadline = try #require(first.object["deadline_at"] as? String)
            #expect(deadline == first.object["due_at"] as? String)
            c.f.clock.advance(by: 30 * 3600)
            _ = try await client.send(.post, "/api/v1/escalations/sweep", token: c.f.tokens["dispatcher"])
            let swept = try await client.send(.get, "/api/v1/incidents/\(red)", token: c.f.tokens["dispatcher"])
            #expect(swept.object["deadline_at"] as? String == deadline && swept.object["due_at"] as? String != deadline)
            // Amber: 1 h of 24 left by the wall clock; green: all 24 h left.
            c.f.clock.advance(by: Date().timeIntervalSince(c.f.clock.now()) - 23 * 3600)
            let amber = try await c.report(client, at: (p.lon, p.lat), description: "amber")
            c.f.clock.advance(by: 23 * 3600)
            let green = try await c.report(client, at: (p.lon, p.lat), description: "green")

            let session = try await ChromiumSession.start()
            defer { session.close() }
            try await session.open(c.page(port, as: "dispatcher"))
            try await session.wait(Chromium.settled)
            for (id, colour, ring) in [(red, "red", "#dc2626"), (amber, "amber", "#f59e0b"), (green, "green", "#ffffff")] {
                #expect(try await session.eval("deadlineColour(state.incidents.get(\(id)))") as? String == colour)
                #expect(try await session.eval("state.markers.get(\(id)).options.color") as? String == ring, "\(colour)")
            }
            _ = try await session.eval("selectIncident(\(amber)).then(() => true)")
            let badge = try await session.eval("document.getElementById('countdown').className + ' ' + document.getElementById('countdown').textContent") as? String
            #expect(badge == "badge countdown amber 剩余 59 分钟" || badge == "badge countdown amber 剩余 58 分钟", "\(badge ?? "")")
            // The overdue table counts the red one's lateness from its first deadline (the sweep's due_at is later).
            let late = try await session.eval("document.querySelector('#overdue-rows tr[data-id=\"\(red)\"] td:nth-child(5)').textContent") as? String
            let expectedDays = Int(Date().timeIntervalSince(Timestamp.parse(deadline)!) / 86_400)
            #expect(late == "超期 \(expectedDays) 天", "\(late ?? "")")
            // Labels: none at county zoom, the grids in view from zoom 14.
            #expect(try await session.eval("document.querySelectorAll('.grid-label').length") as? Int == 0)
            _ = try await session.eval("(map.setView([\(p.lat), \(p.lon)], 15, { animate: false }), true)")
            try await session.wait("Number(document.body.dataset.gridLabels) > 0")
            let labels = try await session.eval("[...document.querySelectorAll('.grid-label span')].map((e) => e.textContent)") as? [String] ?? []
            #expect(labels.contains { $0.hasSuffix(p.grid) }, "\(labels)")
        }
    }

    @Test("a base map given by --tiles is drawn under the layers (tiles from this server in the test)",
          .enabled(if: Chromium.path != nil, Comment(rawValue: Chromium.missing)))
    func baseMapTiles() async throws {
        let c = try ConsoleFixture()
        let template = "/favicon.svg?z={z}&x={x}&y={y}"
        let console = Console(assets: try ConsoleAssets.load(webRoot: Fixture.packageRoot + "/web",
                                                             baseMap: try ConsoleBaseMap(url: template)),
                              reports: c.console.reports)
        let app = try buildApplication(service: c.f.service, options: DispatchServerOptions(port: 0, sweepInterval: .seconds(3600)),
                                       console: console)
        try await app.test(.live) { client in
            let port = try #require(client.port)
            let session = try await ChromiumSession.start()
            defer { session.close() }
            try await session.open(c.page(port, as: "planner"))
            try await session.wait(Chromium.settled)
            try await session.wait("document.querySelectorAll('.base-tiles img').length > 0")
            let sources = try await session.eval("[...document.querySelectorAll('.base-tiles img')].map((i) => i.src)") as? [String] ?? []
            #expect(sources.allSatisfy { $0.range(of: #"/favicon\.svg\?z=\d+&x=\d+&y=\d+$"#, options: .regularExpression) != nil }, "\(sources)")
            #expect(try await session.eval("document.body.dataset.baseMap") as? String == template)
        }
    }

    @Test("GCJ-02 tiles: the page's port of ChineseOffset gives the Swift values, and the layers are drawn shifted onto the tiles",
          .enabled(if: Chromium.path != nil, Comment(rawValue: Chromium.missing)))
    func gcj02BaseMap() async throws {
        let c = try ConsoleFixture()
        let p = c.f.workerPoint, vacant = c.f.vacantPoint
        let console = Console(assets: try ConsoleAssets.load(
            webRoot: Fixture.packageRoot + "/web",
            baseMap: try ConsoleBaseMap(url: "/favicon.svg?z={z}&x={x}&y={y}", datum: "gcj02")), reports: c.console.reports)
        let app = try buildApplication(service: c.f.service, options: DispatchServerOptions(port: 0, sweepInterval: .seconds(3600)),
                                       console: console)
        try await app.test(.live) { client in
            let port = try #require(client.port)
            let id = try await c.report(client, at: (p.lon, p.lat), description: "gcj")
            let session = try await ChromiumSession.start()
            defer { session.close() }
            // A click on the vacant grid's point (shifted as the page draws it) opens that grid.
            try await session.open(c.page(port, as: "planner") + "&click=\(vacant.lon),\(vacant.lat)")
            try await session.wait("(\(Chromium.settled)) && document.body.dataset.selectedGrid")
            #expect(Chromium.bodyData(try await session.dom())["selected-grid"] == vacant.grid)

            // The port against the Swift code: across China, at the county, and outside (the identity).
            var points: [(Double, Double)] = [(p.lon, p.lat), (vacant.lon, vacant.lat), (0, 0), (140, 60), (72.0, 30.0)]
            for lon in stride(from: 73.0, through: 135.0, by: 6.5) {
                for lat in stride(from: 18.0, through: 53.0, by: 4.5) { points.append((lon, lat)) }
            }
            let list = points.map { "[\($0.0), \($0.1)]" }.joined(separator: ",")
            let values = try await session.eval("JSON.stringify([\(list)].map(([x, y]) => [...GCJ02.fromWGS84(x, y), ...GCJ02.toWGS84(x, y)]))") as? String
            let js = try #require(try JSONSerialization.jsonObject(with: Data((values ?? "").utf8)) as? [[Double]])
            #expect(js.count == points.count)
            for (point, v) in zip(points, js) {
                let forward = ChineseOffset.wgs84ToGCJ02(Position(point.0, point.1))
                let inverse = ChineseOffset.gcj02ToWGS84(Position(point.0, point.1))
                #expect(abs(v[0] - forward.x) < 1e-9 && abs(v[1] - forward.y) < 1e-9, "forward \(point): \(v) vs \(forward)")
                #expect(abs(v[2] - inverse.x) < 1e-9 && abs(v[3] - inverse.y) < 1e-9, "inverse \(point): \(v) vs \(inverse)")
            }
            // The incident's marker sits at its GCJ-02 place, hundreds of metres from its WGS84 one.
            let drawn = try await session.eval("(() => { const m = state.markers.get(\(id)).getLatLng(); return [m.lng, m.lat]; })()") as? [Double]
            let shifted = ChineseOffset.wgs84ToGCJ02(Position(p.lon, p.lat))
            #expect(drawn.map { abs($0[0] - shifted.x) < 1e-9 && abs($0[1] - shifted.y) < 1e-9 } == true, "\(drawn ?? [])")
            #expect(abs(shifted.x - p.lon) > 0.002, "the county lies where GCJ-02 moves points by hundreds of metres")
        }
    }

    @Test("screenshots at desktop and phone widths are drawn (not blank)",
          .enabled(if: Chromium.path != nil, Comment(rawValue: Chromium.missing)))
    func screenshots() async throws {
        let c = try ConsoleFixture()
        try await c.application().test(.live) { client in
            let port = try #require(client.port)
            let dir = NSTemporaryDirectory() + "gridwork-shots-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: dir) }
            for (name, width, height) in [("desktop", 1280, 800), ("phone", 390, 844)] {
                let file = "\(dir)/\(name).png"
                let session = try await ChromiumSession.start(windowSize: (width, height))
                defer { session.close() }
                try await session.open("http://127.0.0.1:\(port)/#token=\(c.f.tokens["planner"]!)")
                try await session.wait(Chromium.settled)
                try await session.screenshot(file)
                let png = try Data(contentsOf: URL(fileURLWithPath: file))
                #expect(png.prefix(8) == Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
                // IHDR: width and height, big-endian, at bytes 16...23.
                let w = png[16..<20].reduce(0) { $0 << 8 | Int($1) }, h = png[20..<24].reduce(0) { $0 << 8 | Int($1) }
                #expect(w == width && h == height, "\(name): \(w)×\(h)")
                // A map of coloured grids compresses far worse than an empty page (a blank 1280×800 PNG is ~5 KB).
                #expect(png.count > width * height / 40, "\(name) screenshot is \(png.count) bytes: the map looks empty")
            }
        }
    }
}
