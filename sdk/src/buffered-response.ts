import { authErrorFrom, type AuthError } from './errors.js'

// An answer read once and handed to every request that waited on it, each as a fresh Response
// (a Response body can be read only once).
export class BufferedResponse {
  private constructor (
    private readonly status: number,
    private readonly statusText: string,
    private readonly headers: Array<[string, string]>,
    private readonly body: ArrayBuffer
  ) {}

  static async of (response: Response): Promise<BufferedResponse> {
    const headers: Array<[string, string]> = []
    response.headers.forEach((value, name) => { headers.push([name, value]) })
    return new BufferedResponse(response.status, response.statusText, headers, await response.arrayBuffer())
  }

  toResponse (): Response {
    const body = this.body.byteLength === 0 ? null : this.body.slice(0)
    return new Response(body, { status: this.status, statusText: this.statusText, headers: this.headers })
  }

  async toAuthError (): Promise<AuthError> {
    return await authErrorFrom(this.toResponse())
  }
}
