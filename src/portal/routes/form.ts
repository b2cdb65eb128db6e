// Reading form fields without trusting their shape.
export function formString(body: Record<string, unknown>, name: string, max = 1000): string {
  const v = body[name];
  return typeof v === 'string' ? v.slice(0, max) : '';
}
