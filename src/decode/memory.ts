// Memory-mapping arguments: protections, mapping types and flags.
import { enumWithFlags, flags, type Decoded } from './symbols';
import { KERNEL_VALUES as K } from '../generated/flag-tables';

export function mmapProt(value: number): Decoded {
  return flags('mmap_prot', value, 'PROT_NONE');
}

/** mmap(2) flags: the mapping type (shared, private) then the flags. */
export function mmapFlags(value: number): Decoded {
  return enumWithFlags('mmap_type', K.MAP_TYPE, 'mmap_flags', value);
}
