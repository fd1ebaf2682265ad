// What every layout module provides to the rest of vcstore. The dispatcher
// (layouts/index.ts) picks the module from one Scan; nothing outside
// src/store/layouts/ asks which layout a sandbox is in.
import type { Lit } from '../fs/jsonlit.js';
import type { Judgement } from './judge.js';
import type { Identity, Pod } from './pod.js';
import type { ItemDef } from './items.js';
import type { Change, RewriteOptions } from './rewrite.js';
import type { Liveness } from '../host/liveness.js';
import type { ProcTable } from '../host/procs.js';
import type { Problem } from '../read/problems.js';
import type { Reader } from '../read/reader.js';
import type { Roots } from '../fs/roots.js';
import type { Scan } from '../read/scan.js';

export type LayoutName = 'legacy' | 'persist' | 'runtime-rs';

export interface ContainerInfo {
  id: string;
  state: string | null;
  pid: number | null;
  alive: boolean | null;
  unknown?: string;
  /** The pid is alive but another program now. */
  reused?: boolean;
  /** Its name in its pod, from the container manager's annotations. */
  name?: string;
}

/** What a layout's inspection found; the dispatcher adds lock, trash and store-wide facts. */
export interface Inspected {
  /** False when nothing of the sandbox exists (not found). */
  exists: boolean;
  /** Should a hypervisor be running (state ready/running/paused; runtime-rs: always)? */
  active: boolean;
  state: string | null;
  type: string | null;
  live: Liveness;
  containers: ContainerInfo[];
  paths: { config: string | null; runtime: string | null; vm: string | null };
  /** ACRN: the VM UUID slot this sandbox holds. */
  acrnUuid?: string;
  /** Possibly ACRN, with its UUID unreadable: it may hold any slot. */
  acrnUnknown?: boolean;
  /** Store directories whose contents are only `lock` and an empty raw/ (debris). */
  shell?: 'empty-shell' | 'config-shell';
  /** Pod, container names and creation time, where the layout records them. */
  identity?: Identity;
  /** The virtiofs daemon the store records (3.x VirtiofsDaemonPid, 1.11 VirtiofsdPid): a witness of its own. */
  virtiofsd?: Liveness;
  /** The cgroup paths the store records for the sandbox, as recorded (host/cgroups.ts reads them); null when the record cannot be read. */
  cgroups?: string[] | null;
  /** The network namespace its store records (read only when asked: `netns`); null when the record cannot be read. */
  netns?: NetnsRecord | null;
}

/** A network namespace a sandbox's store records: its path, and whether the runtime made it (only then is it the sandbox's). */
export interface NetnsRecord {
  path: string;
  created: boolean;
}

/** A named item of a sandbox or container, as `show`, `path` and `set` address it. */
export interface ItemRef {
  /** The name to print. */
  name: string;
  /** The file it lives in. */
  path: string;
  /** 1.x items: the Go item. */
  def?: ItemDef;
  /** A container's item. */
  container?: boolean;
  /** persist / runtime-rs: the top-level key, '' for the whole document, or 'state' for the rest. */
  section?: string;
  /** 1.x hypervisor.json: the sandbox's config.json, which names the hypervisor whose state it holds. */
  config?: string;
}

export interface InspectInput {
  roots: Roots;
  sc: Scan;
  reads: Reader;
  problems: Problem[];
  /** Read and validate every item, not only those a listing needs (check, show). */
  deep: boolean;
  /** The process table, read once per listing on first use: runtime-rs records no pid, only its processes tell. */
  procs: () => ProcTable;
  /** Work out which ACRN UUID slot the sandbox may hold (acrnUuid, acrnUnknown): not for a listing that only shows it. */
  slots: boolean;
  /** Read the network namespace the store records (check and show, which are deep, and a removal): a listing does not. */
  netns?: boolean;
}

/** New file text, and what the item was before: absent or corrupt items are written anew. */
export interface Rewrite {
  text: string;
  mode: number;
  current: 'ok' | 'absent' | 'corrupt';
}

export interface LayoutModule {
  name: LayoutName;
  /** Has raw/ item directories (the 1.x store). */
  raw: boolean;
  /** Does this scan belong to this layout? Asked in the dispatcher's order (layouts/index.ts). */
  detect(sc: Scan, roots: Roots): boolean;
  /** What the runtime flocks for this sandbox (file or directory), null when it takes none. */
  lockTarget(roots: Roots, sc: Scan): string | null;
  inspect(i: InspectInput): Inspected;
  /** Only the pod, as inspect's identity has it (completion's light read): null when none or it cannot be told. */
  pod(roots: Roots, sc: Scan, reads: Reader): Pod | null;
  /** Paths a removal covers, in order; the one holding the lock last. */
  removal(roots: Roots, sid: string): string[];
  /** Directories of a container: real dirs that hold at least one container item. */
  containerDirs(roots: Roots, sid: string, cid: string): string[];
  /** The item files of a sandbox's (or a container's) directories, as `show` lists them; a container holds at least one. */
  itemFiles(container: boolean): readonly string[];
  /** Item names this layout knows, for messages. */
  itemNames(container: boolean): string[];
  /** Resolve an item name, or null when it is no item of this layout. */
  item(roots: Roots, sid: string, cid: string | undefined, name: string): ItemRef | null;
  /** Read an item as `show` prints it: its literal tree (numbers exact, every member kept). */
  readItem(ref: ItemRef): Lit;
  /**
   * Judge set's input on its own, before any lock is taken: what the runtime
   * could not load is refused first. Null when the item takes no input here
   * (the rewrite says why).
   */
  judgeInput(ref: ItemRef, input: Lit, container: boolean): Judgement | null;
  /**
   * The new text of `ref`'s file after `change`, in the runtime's own format,
   * judged against what the runtime loads (UsageError, naming the JSON path,
   * when it could not; and when the layout or item cannot be edited).
   */
  rewrite(ref: ItemRef, change: Change, container: boolean, o: RewriteOptions): Rewrite;
  /** Where `set --state` writes for the sandbox or a container. */
  stateRef(roots: Roots, sid: string, cid: string | undefined): ItemRef;
}
