import Foundation
import Testing
import WardenJSON
import WardenPolicy
@testable import WardenInstall

private func parse(_ text: String) throws -> JSONValue { try JSONValue.parse(text) }

@Suite struct SettingsMergeTests {
    let existing = """
        {"model": "claude-opus", "permissions": {"deny": ["Bash(rm:*)"], "defaultMode": "default"},
         "env": {"FOO": "1"}, "hooks": {"PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": "/opt/audit"}]}]}}
        """
    let profile = """
        {"permissions": {"deny": ["Bash(curl:*)", "Bash(rm:*)"], "allow": ["Bash(ls:*)"]}, "warden": {"unverifiableCommands": "ask"}}
        """

    @Test func keepsForeignKeysAndAddsOnlyWhatIsMissing() throws {
        let (merged, changes) = SettingsMerge.merge(try parse(existing), adding: try parse(profile))
        #expect(merged["model"]?.string == "claude-opus")
        #expect(merged["env"]?["FOO"]?.string == "1")
        #expect(merged["permissions"]?["deny"]?.array?.compactMap(\.string) == ["Bash(rm:*)", "Bash(curl:*)"])
        #expect(merged["permissions"]?["allow"]?.array?.compactMap(\.string) == ["Bash(ls:*)"])
        #expect(merged["permissions"]?["defaultMode"]?.string == "default")
        #expect(merged["hooks"]?["PreToolUse"]?.array?.count == 1)
        // Bash(rm:*) was there already: no change recorded for it.
        #expect(!changes.contains(.appended(path: ["permissions", "deny"], item: .string("Bash(rm:*)"))))
        #expect(changes.contains(.appended(path: ["permissions", "deny"], item: .string("Bash(curl:*)"))))
    }

    @Test func mergingTwiceChangesNothing() throws {
        let once = SettingsMerge.merge(try parse(existing), adding: try parse(profile))
        let registration = WardenRegistration.settings(hook: "/usr/local/bin/warden-hook")
        let withHooks = SettingsMerge.merge(once.result, adding: registration)
        let again = SettingsMerge.merge(withHooks.result, adding: try parse(profile))
        let hooksAgain = SettingsMerge.merge(again.result, adding: registration)
        #expect(again.changes.isEmpty && hooksAgain.changes.isEmpty)
        #expect(hooksAgain.result == withHooks.result)
    }

    @Test func revertGivesTheOriginalBack() throws {
        let original = try parse(existing).withoutPositions
        let first = SettingsMerge.merge(original, adding: try parse(profile))
        let second = SettingsMerge.merge(first.result, adding: WardenRegistration.settings(hook: "/x/warden-hook"))
        let third = SettingsMerge.merge(second.result, adding: WardenRegistration.lock)
        let (reverted, kept) = SettingsMerge.revert(third.result, first.changes + second.changes + third.changes)
        #expect(kept.isEmpty)
        #expect(reverted.serialized == original.serialized)
    }

    @Test func revertKeepsWhatTheAdminChangedSince() throws {
        let original = try parse(#"{"permissions": {"deny": ["Bash(rm:*)"]}}"#)
        let (merged, changes) = SettingsMerge.merge(original, adding: try parse(#"{"permissions": {"deny": ["Bash(curl:*)"]}, "warden": {"unverifiableCommands": "deny"}}"#))
        // The admin adds a rule of their own and changes Warden's setting.
        let edited = try parse(merged.serialized.replacingOccurrences(of: #""Bash(curl:*)""#, with: #""Bash(curl:*)","Bash(nc:*)""#)
            .replacingOccurrences(of: #""deny"}"#, with: #""ask"}"#))
        let (reverted, kept) = SettingsMerge.revert(edited, changes)
        #expect(reverted["permissions"]?["deny"]?.array?.compactMap(\.string) == ["Bash(rm:*)", "Bash(nc:*)"])
        #expect(reverted["warden"]?["unverifiableCommands"]?.string == "ask")
        #expect(kept == ["warden.unverifiableCommands was changed after install; left as it is",
                         "warden was changed after install; left as it is"])
    }

    @Test func replacedScalarsGetTheirOldValueBack() throws {
        let original = try parse(#"{"allowManagedHooksOnly": false, "permissions": {"disableBypassPermissionsMode": "disable"}}"#)
        let (locked, changes) = SettingsMerge.merge(original, adding: WardenRegistration.lock)
        #expect(locked["allowManagedHooksOnly"]?.bool == true)
        #expect(changes.contains(.set(path: ["allowManagedHooksOnly"], old: .bool(false), new: .bool(true))))
        #expect(!changes.contains { if case .set(let path, _, _) = $0 { path.last == "disableBypassPermissionsMode" } else { false } })
        #expect(SettingsMerge.revert(locked, changes).result.serialized == original.withoutPositions.serialized)
    }

    @Test func theRecordRoundTrips() throws {
        let (_, changes) = SettingsMerge.merge(try parse(existing), adding: try parse(profile))
        let record = InstallRecord(
            settings: .init(path: "/etc/claude-code/managed-settings.json", original: existing, written: "ab", changes: changes),
            files: [.init(path: "/usr/local/bin/warden", digest: "cd", previous: "/var/lib/warden/replaced/x")],
            directories: ["/etc/claude-code"], git: .init(key: "core.hooksPath", old: nil, new: "/usr/local/share/warden/git-hooks"))
        #expect(try InstallRecord(parsing: record.json.prettyPrinted) == record)
    }

    @Test func aDamagedRecordIsRefusedWithWhatIsWrong() {
        #expect(throws: InstallRecord.FormatError.self) { try InstallRecord(parsing: #"{"version": 1, "files": [{"path": 3}]}"#) }
        #expect((try? InstallRecord(parsing: "{")) == nil)
        do {
            _ = try InstallRecord(parsing: #"{"version": 1, "settings": {"path": "/p", "written": "x", "changes": [{"op": "drop"}]}}"#)
            Issue.record("accepted an unknown change")
        } catch {
            #expect(error.description.contains("settings.changes"))
        }
    }

    @Test func theRegistrationIsWhatHooksManagedSettingsShows() throws {
        // hooks/managed-settings.json documents the registration for the prefix /usr/local.
        let repository = String(#filePath).components(separatedBy: "/Tests/")[0]
        let text = try String(contentsOfFile: repository + "/hooks/managed-settings.json", encoding: .utf8)
        #expect(try parse(text).withoutPositions == WardenRegistration.settings(hook: "/usr/local/bin/warden-hook").withoutPositions)
    }

    @Test func prettyTextReadsBackAsTheSameValue() throws {
        let value = SettingsMerge.merge(try parse(existing), adding: WardenRegistration.settings(hook: "/h")).result
        #expect(try parse(value.prettyPrinted).withoutPositions == value.withoutPositions)
        #expect(value.prettyPrinted.hasSuffix("}\n"))
    }
}
