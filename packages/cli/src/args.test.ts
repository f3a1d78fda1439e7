import { describe, expect, it } from "vitest";
import { intFlag, parseArgs, rejectUnknownFlags, stringFlag, UsageError } from "./args.js";

describe("parseArgs", () => {
  it("splits positionals from --flag value and --flag=value", () => {
    const a = parseArgs(["datasets", "upload", "--name", "iris", "file.csv", "--gateway=http://h:1"]);
    expect(a.positionals).toEqual(["datasets", "upload", "file.csv"]);
    expect([...a.flags]).toEqual([
      ["name", "iris"],
      ["gateway", "http://h:1"],
    ]);
  });

  it("keeps everything after the first '=' as the value, including an empty one", () => {
    const a = parseArgs(["--row={\"a\":1,\"b\":\"x=y\"}", "--name="]);
    expect(a.flags.get("row")).toBe('{"a":1,"b":"x=y"}');
    expect(a.flags.get("name")).toBe("");
  });

  it("treats listed switches as booleans that take no value", () => {
    const a = parseArgs(["trainings", "--watch", "ls", "--json"], new Set(["watch", "json"]));
    expect(a.positionals).toEqual(["trainings", "ls"]);
    expect(a.flags.get("watch")).toBe(true);
    expect(a.flags.get("json")).toBe(true);
  });

  it("lets a switch take an explicit value with '='", () => {
    expect(parseArgs(["--json=false"], new Set(["json"])).flags.get("json")).toBe("false");
  });

  it("fails when a non-switch flag has no value", () => {
    expect(() => parseArgs(["--name"])).toThrow(UsageError);
    expect(() => parseArgs(["--name"])).toThrow("--name needs a value");
    expect(() => parseArgs(["--name", "--json"], new Set(["json"]))).toThrow("--name needs a value");
  });

  it("accepts a value that starts with a single dash", () => {
    expect(parseArgs(["--offset", "-5"]).flags.get("offset")).toBe("-5");
    expect(parseArgs(["-x"]).positionals).toEqual(["-x"]);
  });

  it("lets a later flag win over an earlier one", () => {
    expect(parseArgs(["--name", "a", "--name=b"]).flags.get("name")).toBe("b");
  });

  it("returns empty results for no arguments", () => {
    const a = parseArgs([]);
    expect(a.positionals).toEqual([]);
    expect(a.flags.size).toBe(0);
  });
});

describe("intFlag", () => {
  it("returns the fallback when the flag is absent", () => {
    expect(intFlag(parseArgs([]), "trainers", 2, 0, 64)).toBe(2);
  });

  it("parses integers within bounds, inclusive", () => {
    expect(intFlag(parseArgs(["--trainers", "0"]), "trainers", 2, 0, 64)).toBe(0);
    expect(intFlag(parseArgs(["--trainers=64"]), "trainers", 2, 0, 64)).toBe(64);
    expect(intFlag(parseArgs(["--stores", "3"]), "stores", 1, 1, 10)).toBe(3);
  });

  it.each(["65", "-1", "1.5", "abc", "", "1e2", " 3"])("rejects %j with a message naming the flag and bounds", (raw) => {
    const args = parseArgs([`--trainers=${raw}`]);
    expect(() => intFlag(args, "trainers", 2, 0, 64)).toThrow(UsageError);
    expect(() => intFlag(args, "trainers", 2, 0, 64)).toThrow("--trainers must be an integer between 0 and 64");
  });

  it("rejects a switch used as an integer flag", () => {
    const args = parseArgs(["--trainers"], new Set(["trainers"]));
    expect(() => intFlag(args, "trainers", 2, 0, 64)).toThrow(UsageError);
  });
});

describe("stringFlag", () => {
  it("returns the value or undefined", () => {
    expect(stringFlag(parseArgs(["--name", "iris"]), "name")).toBe("iris");
    expect(stringFlag(parseArgs([]), "name")).toBeUndefined();
  });

  it("rejects a flag that was parsed as a bare switch", () => {
    const args = parseArgs(["--name"], new Set(["name"]));
    expect(() => stringFlag(args, "name")).toThrow("--name needs a value");
  });
});

describe("rejectUnknownFlags", () => {
  it("passes when every flag is known", () => {
    expect(() => rejectUnknownFlags(parseArgs(["--json", "--gateway", "u"], new Set(["json"])), ["json", "gateway"])).not.toThrow();
    expect(() => rejectUnknownFlags(parseArgs(["pos"]), [])).not.toThrow();
  });

  it("names the first unknown flag", () => {
    const args = parseArgs(["--json", "--nope", "1"], new Set(["json"]));
    expect(() => rejectUnknownFlags(args, ["json"])).toThrow(UsageError);
    expect(() => rejectUnknownFlags(args, ["json"])).toThrow("unknown flag --nope");
  });
});

describe("UsageError", () => {
  it("is an Error", () => {
    expect(new UsageError("x")).toBeInstanceOf(Error);
  });
});
