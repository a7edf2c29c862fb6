/**
 * The parts of a MIME multi-part user data document as the unit tests read them: content type and body.
 * A quick reader for assertions; what cloud-init itself makes of the document is checked by the real
 * cloud-init in test/real-clients/cloud-init.test.ts.
 */
export function mimeParts(text: string): { contentType: string; body: string }[] {
  const boundary = /boundary="([^"]+)"/.exec(text)![1];
  return text
    .split(`--${boundary}`)
    .slice(1, -1)
    .map((raw) => {
      const [head, ...rest] = raw.replace(/^\n/, '').split('\n\n');
      return { contentType: /Content-Type: ([^\n]+)/.exec(head)![1], body: rest.join('\n\n') };
    });
}
