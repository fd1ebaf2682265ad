// devices.json decoded for people. The sandbox file is a list of typed
// devices ({"Type","Data"}); a container's is a list of device maps.
import { field } from '../store/base.js';

const KNOWN = new Set(['block', 'vfio', 'generic', 'vhost-user']);

function str(v: unknown): string {
  return typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : '-';
}

export function decodeDevices(value: unknown, container: boolean): string[] {
  if (!Array.isArray(value)) return ['(devices.json is not a list: the runtime cannot load it)'];
  if (container) {
    return value.map(
      (d) =>
        `device ${str(field(d, 'ID'))}  ${str(field(d, 'ContainerPath'))}  mode ${Number(field(d, 'FileMode') ?? 0).toString(8)}  uid ${str(field(d, 'UID'))} gid ${str(field(d, 'GID'))}`,
    );
  }
  return value.map((d) => {
    const type = field(d, 'Type');
    const data = field(d, 'Data');
    const info = field(data, 'DeviceInfo');
    const head = `${str(type).padEnd(8)} ${str(field(data, 'ID'))}  ${str(field(info, 'HostPath'))}`;
    if (typeof type !== 'string' || !KNOWN.has(type)) return `${head}  (unknown device type: the runtime refuses to load this file)`;
    const refs = `refs ${str(field(data, 'RefCount'))} attach ${str(field(data, 'AttachCount'))}`;
    if (type === 'block') {
      const bd = field(data, 'BlockDrive');
      const addr = [field(bd, 'PCIAddr'), field(bd, 'SCSIAddr'), field(bd, 'MmioAddr')].find((x): x is string => typeof x === 'string' && x !== '');
      return `${head} -> ${str(field(bd, 'VirtPath'))}  ${str(field(bd, 'Format'))}${addr ? `  addr ${addr}` : ''}  ${refs}`;
    }
    if (type === 'generic') return `${head}  ${str(field(info, 'DevType'))} ${str(field(info, 'Major'))}:${str(field(info, 'Minor'))}  ${refs}`;
    if (type === 'vfio') {
      const devs = field(data, 'VfioDevs');
      const bdfs = Array.isArray(devs) ? devs.map((v) => str(field(v, 'BDF'))).join(',') : '-';
      return `${head}  bdf ${bdfs}  ${refs}`;
    }
    return `${head}  ${refs}`;
  });
}
