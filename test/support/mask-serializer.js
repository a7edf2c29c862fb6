// Jest snapshot serializer: masks asset hashes and CDK versions so that snapshots change only when
// our own output changes (the cdk-monitoring-constructs convention).
const HASH = /[0-9a-f]{64}/g;
const VERSION = /"(Version|CDKMetadata|Analytics)": ?"[^"]*"/g;

function mask(value) {
  if (typeof value === 'string') {
    return value.replace(HASH, '<asset-hash>');
  }
  if (Array.isArray(value)) {
    return value.map(mask);
  }
  if (value && typeof value === 'object') {
    const out = {};
    for (const [k, v] of Object.entries(value)) {
      if (k === 'CDKMetadata' || k === 'BootstrapVersion' || k === 'CheckBootstrapVersion') continue;
      out[k.replace(HASH, '<asset-hash>')] = mask(v);
    }
    return out;
  }
  return value;
}

module.exports = {
  test(value) {
    return value && typeof value === 'object' && value.__maskAssets === true;
  },
  serialize(value, config, indentation, depth, refs, printer) {
    const { __maskAssets, ...rest } = value;
    return printer(mask(rest), config, indentation, depth, refs);
  },
  mask,
  VERSION,
};
