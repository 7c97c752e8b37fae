import { describe, it, expect } from 'vitest'
import { renderMarkdown } from '../src/logic/markdown.js'

describe('article bodies', () => {
  it('render what departments write: headings, lists, emphasis, line breaks', () => {
    const html = renderMarkdown('## 所需材料\n- 身份证\n- **户口本**\n\n办理地点：各镇街社保网点\n工作日 9:00 开放')
    expect(html).toContain('<h2>所需材料</h2>')
    expect(html).toContain('<li><strong>户口本</strong></li>')
    expect(html).toContain('办理地点：各镇街社保网点<br>')
  })

  it('show raw HTML as text and refuse script links', () => {
    const html = renderMarkdown('<script>alert(1)</script> <img src=x onerror=alert(1)> [点我](javascript:alert(1))')
    expect(html).not.toContain('<script')
    expect(html).not.toContain('<img')
    expect(html).toContain('&lt;script&gt;')
    expect(html).not.toContain('href="javascript:')
  })

  it('open links beside the platform', () => {
    expect(renderMarkdown('见 https://www.dg.gov.cn')).toContain('<a href="https://www.dg.gov.cn" target="_blank" rel="noopener noreferrer">')
  })
})
