/**
 * The signing key (private, auth only) and the verification keys (auth's own public key plus any
 * configured ones, so a rotation can keep trusting tokens signed with the previous key).
 */
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ConfigError, generateSigningKeyPair, loadPublicKeys, type PublicKeySet, type SigningKey } from '@lumina/common';
import type { Config } from './config';

type KeyConfig = Pick<
  Config,
  'JWT_PRIVATE_KEY_FILE' | 'JWT_KID' | 'JWT_GENERATE_KEY_IF_MISSING' | 'JWT_PUBLIC_KEYS' | 'JWT_PUBLIC_KEYS_DIR'
>;

/** Reads the private key; in one-machine mode, makes one first when it is missing. */
export function loadSigningKey(config: KeyConfig): SigningKey {
  const file = config.JWT_PRIVATE_KEY_FILE;
  if (!existsSync(file)) {
    if (!config.JWT_GENERATE_KEY_IF_MISSING) throw new ConfigError([`JWT_PRIVATE_KEY_FILE: ${file} does not exist`]);
    generateKeyFiles(file, config.JWT_KID, config.JWT_PUBLIC_KEYS_DIR);
  }
  const privateKeyPem = readFileSync(file, 'utf8');
  let key;
  try {
    key = createPrivateKey(privateKeyPem);
  } catch (err) {
    throw new ConfigError([`JWT_PRIVATE_KEY_FILE: ${file} is not a PEM private key (${(err as Error).message})`]);
  }
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new ConfigError([`JWT_PRIVATE_KEY_FILE: ${file} must be a P-256 (ES256) key`]);
  }
  return { kid: config.JWT_KID, privateKeyPem };
}

/** Writes a fresh key pair: the private key (0600) and `<kid>.pem` beside the other public keys. */
export function generateKeyFiles(privateKeyFile: string, kid: string, publicKeysDir?: string): void {
  const pair = generateSigningKeyPair(kid);
  mkdirSync(dirname(privateKeyFile), { recursive: true, mode: 0o700 });
  writeFileSync(privateKeyFile, pair.privateKeyPem, { mode: 0o600, flag: 'wx' });
  if (publicKeysDir) {
    mkdirSync(publicKeysDir, { recursive: true });
    writeFileSync(join(publicKeysDir, `${kid}.pem`), pair.publicKeyPem);
  }
}

export function verificationKeys(config: KeyConfig, signing: SigningKey): PublicKeySet {
  const keys = new Map(
    config.JWT_PUBLIC_KEYS || config.JWT_PUBLIC_KEYS_DIR
      ? loadPublicKeys({ json: config.JWT_PUBLIC_KEYS, dir: config.JWT_PUBLIC_KEYS_DIR })
      : [],
  );
  keys.set(signing.kid, createPublicKey(createPrivateKey(signing.privateKeyPem)));
  return keys;
}
