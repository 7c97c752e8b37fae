// Articles are written in Markdown by departments and read by consultants
// and citizens. Raw HTML in the text is shown as text, never run; links
// open beside the platform.

import MarkdownIt from 'markdown-it'

const md = new MarkdownIt({ html: false, linkify: true, breaks: true })

const defaultLink = md.renderer.rules.link_open ?? ((tokens, i, options, env, self) => self.renderToken(tokens, i, options))
md.renderer.rules.link_open = (tokens, i, options, env, self) => {
  tokens[i].attrSet('target', '_blank')
  tokens[i].attrSet('rel', 'noopener noreferrer')
  return defaultLink(tokens, i, options, env, self)
}

/** HTML for an article's Markdown body. */
export function renderMarkdown(text) {
  return md.render(String(text ?? ''))
}
