import { X509Certificate } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OPCUACertificateManager } from 'node-opcua';
import { SkipError } from '../../core/errors';
import { pkiPaths, thumbprint, type PkiPaths } from './opcua-security';

export interface CertificateEntry {
  readonly status: 'own' | 'trusted' | 'rejected';
  readonly thumbprint: string;
  readonly subject: string;
  readonly validTo: string;
  readonly file: string;
}

/** The gateway's OPC-UA PKI folder, for `pdm-gateway pki list | trust | reject`. */
export class PkiStore {
  readonly paths: PkiPaths;
  private cm: OPCUACertificateManager | undefined;

  constructor(dataDir: string) {
    this.paths = pkiPaths(dataDir);
  }

  list(): CertificateEntry[] {
    const own = existsSync(this.paths.ownCertificate) ? [entry('own', this.paths.ownCertificate)] : [];
    return [...own, ...certsIn(this.paths.trusted, 'trusted'), ...certsIn(this.paths.rejected, 'rejected')];
  }

  /** Trust a certificate given by thumbprint (of a rejected one) or by a PEM/DER file. */
  async trust(what: string): Promise<CertificateEntry> {
    const der = this.find(what);
    await (await this.manager()).trustCertificate(der);
    return this.entryFor(der);
  }

  /** Reject (distrust) a certificate given by thumbprint or file. */
  async reject(what: string): Promise<CertificateEntry> {
    const der = this.find(what);
    await (await this.manager()).rejectCertificate(der);
    return this.entryFor(der);
  }

  async close(): Promise<void> {
    await this.cm?.dispose();
    this.cm = undefined;
  }

  private async manager(): Promise<OPCUACertificateManager> {
    if (!this.cm) {
      this.cm = new OPCUACertificateManager({ rootFolder: this.paths.root, automaticallyAcceptUnknownCertificate: false, disableFileWatchers: true });
      await this.cm.initialize();
    }
    return this.cm;
  }

  private find(what: string): Buffer {
    if (existsSync(what)) return toDer(readFileSync(what), what);
    const want = what.toLowerCase().replace(/[^0-9a-f]/g, '');
    if (want.length < 8) throw new SkipError(what, `not a file, and too short for a thumbprint: give at least 8 hex digits of it (see "pdm-gateway pki list")`);
    const hits = this.list().filter((c) => c.thumbprint.startsWith(want));
    if (new Set(hits.map((c) => c.thumbprint)).size > 1) throw new SkipError(what, `matches ${hits.length} certificates in ${this.paths.root}; give more hex digits of the thumbprint`);
    const hit = hits[0];
    if (!hit) throw new SkipError(what, `no certificate with this thumbprint in ${this.paths.root} (and no such file); run "pdm-gateway pki list"`);
    return toDer(readFileSync(hit.file), hit.file);
  }

  private entryFor(der: Buffer): CertificateEntry {
    const t = thumbprint(der);
    return this.list().find((c) => c.thumbprint === t) ?? { status: 'trusted', thumbprint: t, subject: new X509Certificate(der).subject, validTo: '', file: '' };
  }
}

function certsIn(dir: string, status: CertificateEntry['status']): CertificateEntry[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => /\.(pem|der|crt)$/i.test(f))
    .map((f) => entry(status, join(dir, f)));
}

function entry(status: CertificateEntry['status'], file: string): CertificateEntry {
  const der = toDer(readFileSync(file), file);
  const x = new X509Certificate(der);
  return { status, thumbprint: thumbprint(der), subject: x.subject.replace(/\n/g, ', '), validTo: new Date(x.validTo).toISOString(), file };
}

function toDer(raw: Buffer, file: string): Buffer {
  try {
    return new X509Certificate(raw).raw;
  } catch (e) {
    throw new SkipError(file, `not an X.509 certificate (PEM or DER): ${(e as Error).message}`);
  }
}
